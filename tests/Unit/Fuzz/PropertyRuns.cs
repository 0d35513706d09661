namespace Davecast.Tests.Fuzz;

/// <summary>
/// Inputs each property draws: bounded so that the unit suite stays seconds long on a busy machine
/// (bench/fuzz.sh is the long search). CsCheck_Iter in the environment does not override it; FUZZ_INPUTS does.
/// </summary>
public static class PropertyRuns
{
    public static int Inputs { get; } = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_INPUTS"), out int n) && n > 0 ? n : 10_000;
}
