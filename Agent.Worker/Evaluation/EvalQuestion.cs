namespace Agent.Worker.Evaluation;

/// <summary>One question of the eval set (a line of <c>eval/questions.tsv</c>).</summary>
/// <param name="Category">The part of the manual it is about, e.g. <c>sql</c>, <c>admin</c>; figures are per category.</param>
/// <param name="Text">The question, as a user would ask it.</param>
/// <param name="Pages">The manual pages (file names) that answer it; a hit is any of them.</param>
/// <param name="Evidence">A phrase the first page contains, checked by <c>eval --check</c> so a page list cannot rot.</param>
internal sealed record EvalQuestion(string Category, string Text, IReadOnlyList<string> Pages, string Evidence)
{
    /// <summary>
    /// Reads the tab-separated set: category, question, pages (space-separated), evidence; lines starting with
    /// <c>#</c> and blank lines are skipped.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <returns>The questions, in file order.</returns>
    /// <exception cref="FormatException">A line does not have the four fields.</exception>
    public static List<EvalQuestion> Load(string path)
    {
        var questions = new List<EvalQuestion>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split('\t');
            if (fields.Length < 4 || fields[..4].Any(string.IsNullOrWhiteSpace))
            {
                throw new FormatException($"{path}:{number}: expected 4 tab-separated fields (category, question, pages, evidence).");
            }

            questions.Add(new EvalQuestion(
                fields[0].Trim(), fields[1].Trim(), fields[2].Split(' ', StringSplitOptions.RemoveEmptyEntries), fields[3].Trim()));
        }

        return questions;
    }
}
