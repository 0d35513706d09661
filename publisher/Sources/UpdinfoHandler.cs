using Davecast.Http;
using Davecast.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Sources;

/// <summary>
/// <c>GET /admin/metadata?mode=updinfo&amp;mount=/mount&amp;song=Title</c> on the source port, with the source or the
/// admin login: the title takes effect from the next frame on.
/// </summary>
/// <param name="setTitle">Takes the title, already cut to <see cref="LiveFrameSource.MaxTitleBytes"/>.</param>
public sealed class UpdinfoHandler(string mount, Credentials source, Credentials? admin, Action<string> setTitle, SourcePortReplies replies, ILogger logger)
{
    public async Task AnswerAsync(ConnectionContext connection, string remote, RequestHead request, CancellationToken cancellationToken)
    {
        if (!BasicCredentials.Match(request, source.User, source.Password) && !(admin is not null && BasicCredentials.Match(request, admin.User, admin.Password)))
        {
            await replies.RefuseAsync(connection, remote, 401, "Authentication Required", "You need to authenticate", cancellationToken,
                $"WWW-Authenticate: {BasicCredentials.IcecastChallenge}\r\n");
            return;
        }
        string? error = null;
        if (!Updinfo.TryParse(request.Query, out var update, out var parseError)) error = parseError;
        else if (update!.Mount != mount) error = $"Source does not exist: this publisher takes /{mount}, not '/{update.Mount}'";
        if (error is not null)
        {
            await SourcePortReplies.AnswerAsync(connection, 400, "Bad Request", "text/xml; charset=utf-8", Updinfo.Reply(error, false), cancellationToken);
            return;
        }
        var title = StationInfo.CutToBytes(update!.Song, LiveFrameSource.MaxTitleBytes);
        setTitle(title);
        logger.TitleSet(remote, title);
        await SourcePortReplies.AnswerAsync(connection, 200, "OK", "text/xml; charset=utf-8", Updinfo.Reply("Metadata update successful", true), cancellationToken);
    }
}
