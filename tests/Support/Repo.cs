namespace Davecast.Tests.Support;

/// <summary>Paths in the repository the tests run from.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: the configuration this test assembly was built in.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";

    public static string Fixture(string name) => Path.Combine(Root, "fixtures", name);

    /// <summary>The built dll of one of the programs (silo, edge-gateway, publisher).</summary>
    public static string ProgramDll(string projectDir, string assemblyName)
    {
        var path = Path.Combine(Root, projectDir, "bin", Configuration, "net10.0", assemblyName + ".dll");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing: build the solution first (./test.sh does).");
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Davecast.Orleans.sln"))) return dir.FullName;
        throw new InvalidOperationException("Davecast.Orleans.sln not found above " + AppContext.BaseDirectory);
    }
}
