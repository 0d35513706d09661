namespace Davecast.Tests.Support;

/// <summary>
/// npm packages that browser tests load, installed by test.sh into the git-ignored <c>.test-packages/</c>. A missing
/// package fails the test with the command that installs it, never a skip.
/// </summary>
public static class NpmPackages
{
    public static string Folder { get; } = Path.Combine(Repo.Root, ".test-packages", "node_modules");

    /// <summary>The installed package's folder.</summary>
    public static string Require(string package)
    {
        var dir = Path.Combine(Folder, package);
        if (!File.Exists(Path.Combine(dir, "package.json")))
            throw new InvalidOperationException(
                $"Required npm package '{package}' is missing from {Folder}. Run ./test.sh, which installs it "
                + $"(npm install --prefix .test-packages {package}).");
        return dir;
    }
}
