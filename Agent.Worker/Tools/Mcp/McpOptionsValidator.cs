using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Tools.Mcp;

/// <summary>
/// Validates <see cref="McpOptions"/> when the worker starts: each server's name, exactly one of <c>Command</c> and
/// <c>Url</c>, an absolute http(s) <c>Url</c>, and the ranges of its <see cref="McpServerOptions"/> (data annotations do
/// not reach into a dictionary's values, hence this validator).
/// </summary>
internal sealed partial class McpOptionsValidator : IValidateOptions<McpOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, McpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (serverName, server) in options.Servers)
        {
            var key = $"{McpOptions.SectionName}:Servers:{serverName}";
            if (!ServerName().IsMatch(serverName))
            {
                failures.Add($"{key}: a server name is 1 to 64 letters, digits, '_' or '-'.");
            }

            if (server is null)
            {
                failures.Add($"{key}: set Command (a stdio server) or Url (a streamable HTTP server).");
                continue;
            }

            var hasCommand = !string.IsNullOrWhiteSpace(server.Command);
            var hasUrl = !string.IsNullOrWhiteSpace(server.Url);
            if (hasCommand == hasUrl)
            {
                failures.Add($"{key}: set exactly one of Command (a stdio server) and Url (a streamable HTTP server).");
            }

            if (hasUrl && (!Uri.TryCreate(server.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
            {
                failures.Add($"{key}:Url must be an absolute http or https URL.");
            }

            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(server, new ValidationContext(server), results, validateAllProperties: true))
            {
                failures.AddRange(results.Select(r => $"{key}: {r.ErrorMessage}"));
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ServerName();
}
