namespace Agent.Worker.Ingestion;

/// <summary>
/// Represents one chunk-sized piece of a page: a section, or a part of a long section split at a paragraph boundary.
/// </summary>
/// <param name="Heading">The section title; the page title for the text before the second heading.</param>
/// <param name="Content">The plain text: paragraphs separated by a blank line, <c>&lt;pre&gt;</c> text verbatim.</param>
internal sealed record HtmlSection(string Heading, string Content);
