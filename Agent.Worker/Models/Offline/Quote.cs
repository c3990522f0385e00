namespace Agent.Worker.Models.Offline;

/// <summary>
/// A quote chosen by <see cref="QuoteSelector"/>: consecutive units of one passage, quoted verbatim (only a single unit
/// longer than the whole budget is cut, at a word boundary, and ends in <c>…</c>).
/// </summary>
/// <param name="PassageIndex">The index of the quoted passage in the list given to the selector.</param>
/// <param name="FirstUnit">The index of the first quoted unit in <see cref="SentenceSplitter.Split"/>'s output.</param>
/// <param name="LastUnit">The index of the last quoted unit (inclusive).</param>
/// <param name="Units">The quoted units, in passage order.</param>
/// <param name="Score">The selection score (higher is better; comparable only within one selection).</param>
internal sealed record Quote(int PassageIndex, int FirstUnit, int LastUnit, IReadOnlyList<TextUnit> Units, double Score);
