namespace Agent.Worker.Ingestion;

/// <summary>
/// Represents one chunk-sized piece of a document: a section, or a part of a long section split at a paragraph
/// boundary (<see cref="SectionCutter"/>).
/// </summary>
/// <param name="Heading">The section title; the document title for the text before the first heading.</param>
/// <param name="Content">The plain text: paragraphs separated by a blank line, code verbatim.</param>
internal sealed record DocumentSection(string Heading, string Content);
