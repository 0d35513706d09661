using Davecast.Fuzz;
using SharpFuzz;

// davecast-fuzz list | seeds TARGET DIR | TARGET (under afl-fuzz) | TARGET FILE... (replay inputs, e.g. crashes)
if (args is ["list"])
{
    foreach (var t in FuzzTargets.All) Console.WriteLine($"{t.Name,-12} {t.Covers}");
    return 0;
}
if (args is ["seeds", var seedTarget, var dir])
{
    var target = FuzzTargets.Find(seedTarget);
    if (target is null) return Unknown(seedTarget);
    Directory.CreateDirectory(dir);
    foreach (var (name, data) in target.Seeds()) File.WriteAllBytes(Path.Combine(dir, name), data);
    return 0;
}
if (args is [var targetName, ..])
{
    var target = FuzzTargets.Find(targetName);
    if (target is null) return Unknown(targetName);
    if (args.Length == 1)
    {
        // AFL persistent mode: one process, many executions.
        Fuzzer.Run(stream =>
        {
            using var input = new MemoryStream();
            stream.CopyTo(input);
            target.Run(input.GetBuffer().AsSpan(0, (int)input.Length));
        });
        return 0;
    }
    int failed = 0;
    foreach (var file in args[1..])
    {
        try
        {
            target.Run(File.ReadAllBytes(file));
            Console.WriteLine($"ok      {file}");
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine($"THROWS  {file}: {e}");
        }
    }
    return failed == 0 ? 0 : 1;
}
Console.Error.WriteLine("usage: davecast-fuzz list | seeds TARGET DIR | TARGET [FILE...]");
return 2;

static int Unknown(string name)
{
    Console.Error.WriteLine($"No fuzz target '{name}'; the targets: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))}");
    return 2;
}
