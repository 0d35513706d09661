using System.Net;
using System.Net.Sockets;

namespace Davecast.Cli;

/// <summary>
/// A port a program could not listen on (in use, not allowed, an address not of this machine), with the option that
/// sets it. <see cref="ProgramRunner"/> prints its message alone and exits with 1: no stack trace.
/// </summary>
public sealed class ListenFailure(string message, SocketException error) : IOException(message, error)
{
    /// <summary>"Cannot listen on 0.0.0.0:9001 (UDP, --ingest-port): Address already in use".</summary>
    public static ListenFailure Of(EndPoint endpoint, string transport, string option, SocketException error) =>
        new($"Cannot listen on {endpoint} ({transport}, {option}): {error.Message}", error);

    /// <summary>Runs <paramref name="bind"/>; a socket error it raises becomes a <see cref="ListenFailure"/> naming <paramref name="option"/>.</summary>
    public static void Bind(EndPoint endpoint, string transport, string option, Action bind)
    {
        try
        {
            bind();
        }
        catch (SocketException e)
        {
            throw Of(endpoint, transport, option, e);
        }
    }

    /// <summary>The failure in <paramref name="exception"/> or in what it wraps, or null.</summary>
    public static ListenFailure? Find(Exception? exception) => exception switch
    {
        null => null,
        ListenFailure failure => failure,
        AggregateException all => all.InnerExceptions.Select(Find).FirstOrDefault(f => f is not null),
        _ => Find(exception.InnerException),
    };

    /// <summary>The socket error under what a library threw when it could not bind (Kestrel and Orleans wrap it), or null.</summary>
    public static SocketException? SocketErrorIn(Exception? exception) => exception switch
    {
        null => null,
        SocketException socket => socket,
        AggregateException all => all.InnerExceptions.Select(SocketErrorIn).FirstOrDefault(e => e is not null),
        _ => SocketErrorIn(exception.InnerException),
    };
}
