using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Isolated.Net.FluentAssertions;

// What one probe saw: whether it reached, the addresses used, and the clause a failure message ends with.
internal sealed record ProbeOutcome(bool Reached, IPAddress? SourceAddress, IPAddress TargetAddress, string Observation)
{
    public static ProbeOutcome Success(IPAddress? source, IPAddress target, string what, TimeSpan elapsed) =>
        new(true, source, target, string.Create(CultureInfo.InvariantCulture, $"{what} in {elapsed.TotalMilliseconds:F1} ms"));

    public static ProbeOutcome Failure(IPAddress? source, IPAddress target, string operation, SocketException error) =>
        new(false, source, target, $"{operation} failed with {ErrnoText(error.SocketErrorCode, error.Message)}");

    public static ProbeOutcome Timeout(IPAddress? source, IPAddress target, string awaited, TimeSpan timeout, SocketException? lastError) =>
        new(false, source, target, string.Create(CultureInfo.InvariantCulture, $"no {awaited} within {timeout.TotalMilliseconds:F0} ms (timeout)")
            + (lastError is null ? "" : $"; the last error seen was {ErrnoText(lastError.SocketErrorCode, lastError.Message)}"));

    // The errno a SocketError stands for on Linux, with strerror's text (.NET appends the endpoint to
    // some messages; ours already names it). FluentAssertions reads braces as placeholders, so none may
    // reach the message.
    internal static string ErrnoText(SocketError error, string message)
    {
        var (name, text) = error switch
        {
            SocketError.ConnectionRefused => ("ECONNREFUSED", "Connection refused"),
            SocketError.HostUnreachable => ("EHOSTUNREACH", "No route to host"),
            SocketError.NetworkUnreachable => ("ENETUNREACH", "Network is unreachable"),
            SocketError.TimedOut => ("ETIMEDOUT", "Connection timed out"),
            SocketError.ConnectionReset => ("ECONNRESET", "Connection reset by peer"),
            SocketError.NetworkDown => ("ENETDOWN", "Network is down"),
            SocketError.HostDown => ("EHOSTDOWN", "Host is down"),
            SocketError.AccessDenied => ("EACCES", "Permission denied"),
            SocketError.AddressNotAvailable => ("EADDRNOTAVAIL", "Cannot assign requested address"),
            SocketError.AddressAlreadyInUse => ("EADDRINUSE", "Address already in use"),
            SocketError.InvalidArgument => ("EINVAL", "Invalid argument"),
            SocketError.MessageSize => ("EMSGSIZE", "Message too long"),
            SocketError.NoBufferSpaceAvailable => ("ENOBUFS", "No buffer space available"),
            _ => (error.ToString(), message.Replace('{', '(').Replace('}', ')')),
        };
        return $"{name} ({text})";
    }
}
