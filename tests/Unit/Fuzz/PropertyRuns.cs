namespace Davecast.Tests.Fuzz;

/// <summary>
/// Inputs each property draws: 10^5 per parser, as the fuzzing issue asks of the normal suite (bench/fuzz.sh is the
/// long search). CsCheck_Iter in the environment does not override it; FUZZ_INPUTS does (fewer for a quick run).
/// </summary>
public static class PropertyRuns
{
    public static int Inputs { get; } = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_INPUTS"), out int n) && n > 0 ? n : 100_000;
}
