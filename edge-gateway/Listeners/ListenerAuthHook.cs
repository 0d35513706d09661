using System.Globalization;
using Davecast.Security;
using Microsoft.Extensions.Options;

namespace Davecast.Edge.Listeners;

/// <summary>What a listener's request carries for authentication: the target it asked for (query included) and its login.</summary>
public sealed record ListenerLogin(string Target, string? User, string? Password)
{
    public static ListenerLogin From(string target, string? authorization) =>
        BasicCredentials.TryRead(authorization, out var user, out var password) ? new(target, user, password) : new(target, null, null);
}

/// <summary>What the hook decided: admitted, refused, or no decision because the hook was down (or answered 5xx).</summary>
public enum ListenerAuthVerdict { Admitted, Refused, HookDown }

/// <summary>The answer a listener gets when it is not admitted.</summary>
public sealed record ListenerRefusal(int Status, string Reason, string Message, bool Challenge);

/// <summary>
/// Listener authentication by URL, as Icecast's <c>url</c> authenticator does it: a form-encoded POST with
/// <c>action=listener_add</c> when a listener arrives, which admits it when the answer carries the configured header
/// (<c>icecast-auth-user: 1</c>); and <c>action=listener_remove</c> when an admitted listener leaves.
/// </summary>
public sealed partial class ListenerAuthHook(IOptions<EdgeOptions> options, ILogger<ListenerAuthHook> logger) : IDisposable
{
    private readonly EdgeOptions _options = options.Value;
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Whether a hook decides on this mount's listeners.</summary>
    public bool Guards(string mount) => _options.ListenerAuth.For(mount) is not null;

    /// <summary>Asks the mount's hook about a listener; a mount without a hook admits everyone.</summary>
    public async Task<ListenerAuthVerdict> AddAsync(ListenerSession session, ListenerLogin login, CancellationToken ct)
    {
        if (_options.ListenerAuth.For(session.Mount) is not { } url) return ListenerAuthVerdict.Admitted;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.ListenerAuthTimeout);
        try
        {
            using var response = await _http.PostAsync(url, Form("listener_add", session, login, null), timeout.Token);
            if ((int)response.StatusCode >= 500)
                return Down(session, $"it answered {(int)response.StatusCode}");
            if (response.Headers.TryGetValues(_options.ListenerAuthHeader, out var values)
                && values.Any(v => v.Trim() == _options.ListenerAuthHeaderValue))
                return ListenerAuthVerdict.Admitted;
            var message = response.Headers.TryGetValues("icecast-auth-message", out var m) ? string.Join(" ", m) : $"no {_options.ListenerAuthHeader} header";
            LogRefused(session.Mount, session.Id, session.Remote, message);
            return ListenerAuthVerdict.Refused;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Down(session, $"no answer within {_options.ListenerAuthTimeout.TotalMilliseconds:F0} ms");
        }
        catch (OperationCanceledException)
        {
            // The listener left while the hook was asked: nobody is there to admit.
            return ListenerAuthVerdict.Refused;
        }
        catch (HttpRequestException e)
        {
            return Down(session, e.Message);
        }
    }

    /// <summary>Tells the mount's hook that an admitted listener left; in the background, and a failure is only logged.</summary>
    public void Removed(ListenerSession session, ListenerLogin login)
    {
        if (_options.ListenerAuth.For(session.Mount) is not { } url) return;
        var duration = (long)(DateTimeOffset.UtcNow - session.ConnectedAt).TotalSeconds;
        _ = Task.Run(async () =>
        {
            using var timeout = new CancellationTokenSource(_options.ListenerAuthTimeout);
            try
            {
                using var response = await _http.PostAsync(url, Form("listener_remove", session, login, duration), timeout.Token);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                LogRemoveFailed(session.Mount, session.Id, e.Message);
            }
        });
    }

    /// <summary>What a listener that is not admitted gets: a login prompt when it gave none, else 403; 503 while the hook is down.</summary>
    public static ListenerRefusal Refusal(ListenerAuthVerdict verdict, string mount, ListenerLogin login) => verdict switch
    {
        ListenerAuthVerdict.HookDown => new(503, "Service Unavailable", $"Listener authentication for /{mount} is unavailable; try again later.", false),
        _ when login.User is null => new(401, "Unauthorized", $"Mount /{mount} needs a listener login.", true),
        _ => new(403, "Forbidden", $"Mount /{mount} refused this listener.", false),
    };

    private ListenerAuthVerdict Down(ListenerSession session, string why)
    {
        LogHookDown(session.Mount, session.Id, why, _options.ListenerAuthFailOpen ? "admitted (fail open)" : "refused (fail closed)");
        return _options.ListenerAuthFailOpen ? ListenerAuthVerdict.Admitted : ListenerAuthVerdict.HookDown;
    }

    // Icecast's field names, so that hooks written for Icecast work unchanged.
    private FormUrlEncodedContent Form(string action, ListenerSession session, ListenerLogin login, long? duration)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("action", action),
            new("server", _options.Hostname),
            new("port", _options.PublicPort.ToString(CultureInfo.InvariantCulture)),
            new("client", session.Id.ToString(CultureInfo.InvariantCulture)),
            new("mount", login.Target),
            new("user", login.User ?? ""),
            new("pass", login.Password ?? ""),
            new("ip", session.Ip ?? ""),
            new("agent", session.UserAgent ?? ""),
        };
        if (duration is { } d) fields.Add(new("duration", d.ToString(CultureInfo.InvariantCulture)));
        return new FormUrlEncodedContent(fields);
    }

    public void Dispose() => _http.Dispose();

    [LoggerMessage(LogLevel.Information, "Listener {Client} on /{Mount} from {Remote} refused by the listener authentication hook: {Message}")]
    private partial void LogRefused(string mount, long client, string? remote, string message);

    [LoggerMessage(LogLevel.Warning, "Listener authentication hook for /{Mount} is down ({Why}): listener {Client} {Outcome}")]
    private partial void LogHookDown(string mount, long client, string why, string outcome);

    [LoggerMessage(LogLevel.Warning, "Listener authentication hook for /{Mount}: listener_remove of listener {Client} failed: {Error}")]
    private partial void LogRemoveFailed(string mount, long client, string error);
}
