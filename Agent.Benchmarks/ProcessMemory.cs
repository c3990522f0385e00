using System.Globalization;

namespace Agent.Benchmarks;

/// <summary>
/// A process's resident memory as Linux reports it in <c>/proc/PID/status</c> (proc(5)): <c>VmRSS</c>, resident now,
/// and <c>VmHWM</c>, the peak resident since the process started. In MB (1,024 × 1,024 bytes).
/// </summary>
internal static class ProcessMemory
{
    /// <summary>Resident memory now (VmRSS), in MB.</summary>
    /// <param name="processId">The process.</param>
    /// <returns>The figure, or null when the process has exited or the field is missing (not Linux).</returns>
    public static double? ResidentMb(int processId) => Field(processId, "VmRSS:");

    /// <summary>The peak resident memory since the process started (VmHWM), in MB.</summary>
    /// <param name="processId">The process.</param>
    /// <returns>The figure, or null when the process has exited or the field is missing (not Linux).</returns>
    public static double? PeakResidentMb(int processId) => Field(processId, "VmHWM:");

    /// <summary>Whether the process has mapped a shared library whose file name contains <paramref name="library"/>.</summary>
    /// <param name="processId">The process.</param>
    /// <param name="library">Part of the file name, e.g. <c>libonnxruntime</c>.</param>
    /// <returns>False also when the process has exited.</returns>
    public static bool HasMapped(int processId, string library)
    {
        try
        {
            return File.ReadLines($"/proc/{processId}/maps").Any(l => l.Contains(library, StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static double? Field(int processId, string name)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{processId}/status"))
            {
                if (line.StartsWith(name, StringComparison.Ordinal))
                {
                    // "VmRSS:	  123456 kB"
                    return double.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process exited between the check and the read, or /proc is not there.
        }

        return null;
    }
}
