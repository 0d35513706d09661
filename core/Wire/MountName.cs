namespace Davecast.Wire;

/// <summary>Mount names travel without the leading slash and are compared case-sensitively, as Icecast does.</summary>
public static class MountName
{
    public static string Normalize(string mount)
    {
        var m = mount.Trim().TrimStart('/');
        if (m.Length == 0) throw new ArgumentException("mount name is empty");
        foreach (var c in m)
            if (char.IsControl(c) || c == ' ' || c == '?' || c == '#')
                throw new ArgumentException($"mount name '{mount}' has a character that cannot appear in a URL path");
        return m;
    }
}
