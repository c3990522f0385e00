namespace Agent.Worker.Ingestion;

/// <summary>
/// Represents a parsed source file (HTML, Markdown, plain text or PDF): its title and its text cut into sections, in
/// document order.
/// </summary>
/// <param name="Title">The title (whitespace collapsed); empty when the file has none (the ingestor then uses the file name).</param>
/// <param name="Sections">The sections, in order; empty when the file holds no text.</param>
internal sealed record ParsedDocument(string Title, IReadOnlyList<DocumentSection> Sections);
