namespace Agent.Worker.Ingestion;

/// <summary>
/// Represents a parsed HTML page: its title and its text cut into sections, in document order.
/// </summary>
/// <param name="Title">The text of the page's <c>&lt;title&gt;</c> (whitespace collapsed).</param>
/// <param name="Sections">The sections, in order; empty when the page holds only navigation.</param>
internal sealed record HtmlPage(string Title, IReadOnlyList<HtmlSection> Sections);
