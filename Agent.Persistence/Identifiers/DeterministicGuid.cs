using System.Security.Cryptography;
using System.Text;

namespace Agent.Persistence.Identifiers;

/// <summary>
/// Makes name-based UUIDs (RFC 9562 section 5.5, version 5: SHA-1 of a namespace and a name): the one UUID v5 of the
/// runtime, used for message ids (a message sent twice for the same reason carries the same id) and for the system
/// assistants' ids (LangGraph's uuid5 of the graph name).
/// </summary>
public static class DeterministicGuid
{
    /// <summary>The namespace of this runtime's message ids (a fixed random UUID).</summary>
    public static readonly Guid Namespace = new("5b0f4f53-7a4e-4a38-9d2a-6f1d0c7e2a41");

    /// <summary>Creates the version 5 UUID of <paramref name="name"/> in <see cref="Namespace"/>.</summary>
    /// <param name="name">The name (UTF-8 encoded).</param>
    /// <returns>The UUID; equal names give equal UUIDs.</returns>
    public static Guid Create(string name) => Create(Namespace, name);

    /// <summary>Creates the version 5 UUID of <paramref name="name"/> in <paramref name="namespaceId"/>.</summary>
    /// <param name="namespaceId">The namespace UUID.</param>
    /// <param name="name">The name (UTF-8 encoded).</param>
    /// <returns>The UUID; equal namespaces and names give equal UUIDs.</returns>
    public static Guid Create(Guid namespaceId, string name)
    {
        var namespaceBytes = namespaceId.ToByteArray(bigEndian: true);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[namespaceBytes.Length + nameBytes.Length];
        namespaceBytes.CopyTo(input, 0);
        nameBytes.CopyTo(input, namespaceBytes.Length);
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 version 5 specifies; this is an identifier, not security.
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
