namespace Davecast.Edge;

/// <summary>How the edge logs: one line per event, Orleans' and ASP.NET Core's chatter at warnings only.</summary>
public static class EdgeLogging
{
    public static void Configure(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Polly", LogLevel.Warning);
        logging.AddFilter("Orleans", LogLevel.Warning);
        // A site cut off would log a failed connect every few seconds; its SiteClient says once that it cannot be reached.
        logging.AddFilter("Orleans.Runtime.Messaging", LogLevel.Error);
    }
}
