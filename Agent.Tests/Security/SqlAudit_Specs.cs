using System.Text.RegularExpressions;
using Agent.Tests.Infrastructure;

namespace Agent.Tests.Security;

/// <summary>
/// Keeps every SQL statement parameterized: raw-SQL APIs that take a plain string are banned from the product code,
/// and every Npgsql command is built from a constant. EF's <c>FromSql</c>/<c>ExecuteSql</c>/<c>SqlQuery</c> take a
/// <see cref="FormattableString"/> and turn each interpolated value into a parameter, so they are allowed.
/// </summary>
[TestFixture]
public sealed partial class When_the_product_code_builds_sql
{
    private static readonly string[] Projects = ["Agent.Api", "Agent.Worker", "Agent.Persistence"];

    [Test]
    public void Should_never_pass_a_string_built_at_run_time_to_the_database()
    {
        var files = Projects
            .SelectMany(p => Directory.EnumerateFiles(Path.Combine(TestEnvironment.RepositoryRoot, p), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}Migrations{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        var problems = new List<string>();
        var commands = 0;
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            var name = Path.GetRelativePath(TestEnvironment.RepositoryRoot, file);
            problems.AddRange(RawSql().Matches(text).Select(m => $"{name}: {m.Value} takes a plain string"));
            foreach (Match command in Command().Matches(text))
            {
                commands++;
                var argument = command.Groups["sql"].Value;
                if (!Regex.IsMatch(text, $@"const string {Regex.Escape(argument)}\b"))
                {
                    problems.Add($"{name}: {command.Value} is not built from a constant");
                }
            }
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(files, Is.Not.Empty);
            Assert.That(commands, Is.GreaterThanOrEqualTo(5), "the audit found the Npgsql commands");
            Assert.That(problems, Is.Empty);
        }
    }

    [GeneratedRegex(@"\b(FromSqlRaw|ExecuteSqlRaw|ExecuteSqlRawAsync|SqlQueryRaw|CommandText\s*=)")]
    private static partial Regex RawSql();

    [GeneratedRegex(@"(new NpgsqlCommand|\.CreateCommand|new NpgsqlBatchCommand)\((?<sql>[^,)]*)")]
    private static partial Regex Command();
}
