using System.Buffers.Binary;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Agent.Worker.Embeddings;

/// <summary>
/// Reads an assembly's embedded resource from the assembly's file with ordinary reads, instead of through
/// <see cref="Assembly.GetManifestResourceStream(string)"/>, which reads the loaded image: the runtime maps the whole
/// file, and every page of a resource read that way stays in the process's resident memory for as long as the
/// assembly is loaded. The offline model's 90 MB resource counted 89 MB in a worker's resident memory, for a model
/// read once (BENCHMARKS.md, "Retrieval").
/// </summary>
/// <remarks>
/// Layout (ECMA-335 II.24.2.4 and II.22.24): the CLI header's <c>Resources</c> directory holds the managed resources
/// one after another, each a 4-byte little-endian length followed by its bytes; a <c>ManifestResource</c> row gives a
/// resource's offset into that directory.
/// </remarks>
internal static class ManifestResourceFile
{
    /// <summary>Opens a resource of <paramref name="assembly"/> for reading.</summary>
    /// <param name="assembly">The assembly that embeds it.</param>
    /// <param name="name">The resource's full name.</param>
    /// <returns>
    /// A read-only, seekable stream of exactly the resource's bytes, read from the file; or, for an assembly with no
    /// file (single-file publish, loaded from bytes), the runtime's resource stream.
    /// </returns>
    /// <exception cref="InvalidOperationException">The assembly has no such resource.</exception>
    public static Stream Open(Assembly assembly, string name)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var location = assembly.Location;
        if (location.Length == 0 || !File.Exists(location))
        {
            return Runtime(assembly, name);
        }

        var file = new FileStream(location, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            long start;
            using (var pe = new PEReader(file, PEStreamOptions.LeaveOpen | PEStreamOptions.PrefetchMetadata))
            {
                var metadata = pe.GetMetadataReader();
                var resource = metadata.ManifestResources
                    .Select(metadata.GetManifestResource)
                    .Where(r => r.Implementation.IsNil && metadata.StringComparer.Equals(r.Name, name))
                    .Select(r => (ManifestResource?)r)
                    .FirstOrDefault();
                if (resource is not { } found || pe.PEHeaders.CorHeader is not { } cli
                    || !pe.PEHeaders.TryGetDirectoryOffset(cli.ResourcesDirectory, out var directory))
                {
                    file.Dispose();
                    return Runtime(assembly, name);
                }

                start = directory + found.Offset;
            }

            Span<byte> length = stackalloc byte[4];
            file.Position = start;
            file.ReadExactly(length);
            return new FileSegmentStream(file, start + 4, BinaryPrimitives.ReadUInt32LittleEndian(length));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static Stream Runtime(Assembly assembly, string name) =>
        assembly.GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"{assembly.GetName().Name} has no resource {name}.");

    /// <summary>A read-only view of <c>length</c> bytes of a file from <c>offset</c>; disposing it closes the file.</summary>
    private sealed class FileSegmentStream(FileStream file, long offset, long length) : Stream
    {
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => position;
            set => position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var left = length - position;
            if (left <= 0)
            {
                return 0;
            }

            if (buffer.Length > left)
            {
                buffer = buffer[..(int)left];
            }

            file.Position = offset + position;
            var read = file.Read(buffer);
            position += read;
            return read;
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => position + offset,
            _ => length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                file.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
