using System.Text;
using Davecast.Security;

namespace Davecast.Silo.Operations;

/// <summary>
/// The relay's HTTP port: everything on it (the Orleans Dashboard at <c>/</c> and its API, <c>/mounts</c>) asks for
/// the admin credentials (HTTP basic), except <c>/metrics</c> and <c>/healthz</c>, which scrapers and load balancers
/// read without. Also puts a link to the mount-health page on the dashboard's page.
/// </summary>
public static class AdminAccess
{
    public const string Realm = "Davecast relay";

    private static readonly string[] OpenPaths = ["/metrics", "/healthz"];

    /// <summary>Answers 401 with a challenge to every request without the credentials, unless its path is open.</summary>
    public static void UseAdminCredentials(this WebApplication app, string user, string password)
    {
        app.Use((context, next) =>
        {
            if (IsOpen(context.Request.Path) || BasicCredentials.Match(context.Request.Headers.Authorization.ToString(), user, password))
                return next(context);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = BasicCredentials.Challenge(Realm);
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync("Authentication required\n");
        });
    }

    public static bool IsOpen(PathString path) =>
        OpenPaths.Any(p => path.Equals(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>Adds a fixed link to <c>/mounts</c> to the dashboard's index page (served at <c>/</c> and <c>/index.html</c>).</summary>
    public static void UseMountsLinkOnDashboard(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            if (!HttpMethods.IsGet(context.Request.Method) || !(path == "/" || path.Equals("/index.html", StringComparison.OrdinalIgnoreCase)))
            {
                await next(context);
                return;
            }
            // The dashboard serves its page gzipped to browsers that accept it: ask for it plain, to add the link.
            context.Request.Headers.Remove("Accept-Encoding");
            var original = context.Response.Body;
            using var buffer = new MemoryStream();
            context.Response.Body = buffer;
            try
            {
                await next(context);
            }
            finally
            {
                context.Response.Body = original;
            }
            var body = buffer.ToArray();
            if (context.Response.StatusCode == StatusCodes.Status200OK
                && context.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true
                && !context.Response.Headers.ContentEncoding.Any())
            {
                body = Encoding.UTF8.GetBytes(WithMountsLink(Encoding.UTF8.GetString(body)));
                context.Response.ContentLength = body.Length;
                context.Response.Headers.Remove("ETag");
            }
            await original.WriteAsync(body, context.RequestAborted);
        });
    }

    /// <summary>The page with a small fixed link to the mount-health page just before its closing body tag.</summary>
    public static string WithMountsLink(string html)
    {
        const string link =
            "<a id=\"davecast-mounts-link\" href=\"/mounts\" style=\"position:fixed;right:12px;bottom:12px;z-index:10000;"
            + "padding:6px 12px;border-radius:4px;background:#1f6feb;color:#fff;font:14px sans-serif;text-decoration:none;"
            + "box-shadow:0 1px 4px rgba(0,0,0,.3)\">Mount health</a>";
        int end = html.LastIndexOf("</body>", StringComparison.OrdinalIgnoreCase);
        return end < 0 ? html + link : html.Insert(end, link);
    }
}
