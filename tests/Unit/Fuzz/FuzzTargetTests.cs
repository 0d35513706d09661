using CsCheck;
using Davecast.Fuzz;
using Davecast.Tests.Support;

namespace Davecast.Tests.Fuzz;

/// <summary>
/// Every coverage-guided fuzz target (bench/Davecast.Fuzz, bench/fuzz.sh) on random inputs in the normal suite:
/// random bytes, and the target's seeds (generated and committed) with bytes overwritten and cut. A target throws when its parser throws or
/// breaks a promise (bounded work, every byte accounted for, the same answer however the input is cut).
/// </summary>
public sealed class FuzzTargetTests
{
    // PropertyRuns.Inputs each, but the settings target writes a file and builds a configuration per input.
    private static int Iterations(string target) => target == "settings" ? PropertyRuns.Inputs / 20 : PropertyRuns.Inputs;

    public static TheoryData<string> Targets => [.. FuzzTargets.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Never_throws_on_random_or_mutated_input(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var committed = Path.Combine(Repo.Root, "bench", "Davecast.Fuzz", "Seeds", name);
        var seeds = target.Seeds().Select(s => s.Data)
            .Concat(Directory.Exists(committed) ? Directory.GetFiles(committed).Select(File.ReadAllBytes) : [])
            .Where(s => s.Length > 0).ToArray();
        var mutated = Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Select(Gen.Int, Gen.Byte).Array[1, 8], Gen.Int[0, 100])
            .Select((seed, writes, cut) => Mutate(seeds[seed], writes, cut));
        var inputs = Gen.Frequency((1, Gen.Byte.Array[0, 300]), (3, mutated));
        Bounded.Run(() => inputs.Sample(bytes => target.Run(bytes), iter: Iterations(name)), $"the {name} target");
    }

    // Some bytes overwritten; in one input of five, the end cut off at a random point.
    private static byte[] Mutate(byte[] seed, (int At, byte Value)[] writes, int cut)
    {
        var bytes = seed.ToArray();
        foreach (var (at, value) in writes) bytes[(int)((uint)at % bytes.Length)] = value;
        return cut < 20 ? bytes[..(bytes.Length * cut / 20)] : bytes;
    }
}
