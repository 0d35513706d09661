namespace Davecast.Edge.Outputs.Hls;

/// <summary>An <c>--hls-peer</c>: another edge's base URL, whose media playlists are redundant variants of this edge's.</summary>
public static class HlsPeer
{
    /// <summary>An absolute http or https URL with nothing after its path; the path kept, with one trailing slash.</summary>
    public static bool TryParse(string text, out Uri? peer)
    {
        peer = null;
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0) return false;
        peer = new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
        return true;
    }
}
