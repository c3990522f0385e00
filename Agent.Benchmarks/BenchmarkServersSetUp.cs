using Agent.Tests;

namespace Agent.Benchmarks;

/// <summary>
/// Decides the test servers for the benchmarks (every benchmark lives under the <c>Agent.Benchmarks</c> namespace):
/// the same decision as the suite's <see cref="TestServersSetUp"/>, which only covers its own assembly.
/// </summary>
[SetUpFixture]
public sealed class BenchmarkServersSetUp : TestServersSetUp;
