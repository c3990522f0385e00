namespace Agent.Worker.Models.Offline;

/// <summary>
/// One quotable piece of a passage: a prose sentence, or a code statement kept whole (it may span lines).
/// </summary>
/// <param name="Text">The text as it appears in the passage, trimmed; code lines are joined by <c>\n</c>.</param>
/// <param name="IsCode">Whether the unit is a code statement (e.g. <c>CREATE INDEX ... USING GIN (...);</c>).</param>
internal readonly record struct TextUnit(string Text, bool IsCode);
