namespace Isolated.Net;

/// <summary>
/// A system call or netlink request failed. The message names the operation, the errno name and its
/// text, and, where the kernel sent one, its extended-ack explanation.
/// </summary>
public class NetworkOperationException : IOException
{
    /// <summary>Creates the exception for <paramref name="operation"/> failing with <paramref name="errno"/>.</summary>
    /// <param name="operation">What was being done, e.g. "creating veth pair 'a0'/'b0'".</param>
    /// <param name="errno">The positive errno value.</param>
    /// <param name="kernelMessage">The kernel's extended-ack text, if any.</param>
    public NetworkOperationException(string operation, int errno, string? kernelMessage = null)
        : this(operation, errno, kernelMessage, hint: null)
    {
    }

    private protected NetworkOperationException(string operation, int errno, string? kernelMessage, string? hint)
        : base(Format(operation, errno, kernelMessage, hint))
    {
        Operation = operation;
        Errno = errno;
        ErrnoName = Interop.Interop.ErrnoName(errno);
        KernelMessage = kernelMessage;
        HResult = errno;
    }

    // A failure whose cause needs more words than the errno: e.g. bpf(2) refused by a sysctl rather than
    // for a missing capability.
    internal static NetworkOperationException WithHint(string operation, int errno, string hint) => new(operation, errno, null, hint);

    /// <summary>What was being done when the kernel refused, e.g. "creating veth pair 'a0'/'b0'".</summary>
    public string Operation { get; }

    /// <summary>The errno value the kernel returned (positive).</summary>
    public int Errno { get; }

    /// <summary>The symbolic errno name, e.g. "EEXIST".</summary>
    public string ErrnoName { get; }

    /// <summary>The kernel's extended acknowledgement text (netlink NLMSGERR_ATTR_MSG), when sent.</summary>
    public string? KernelMessage { get; }

    private static string Format(string operation, int errno, string? kernelMessage, string? hint)
    {
        var text = $"{operation} failed: {Interop.Interop.ErrnoName(errno)} ({Interop.Interop.ErrnoText(errno)})";
        if (!string.IsNullOrEmpty(kernelMessage))
        {
            text += $": kernel says \"{kernelMessage}\"";
        }
        if (hint is not null)
        {
            text += "; " + hint;
        }
        return text;
    }
}

/// <summary>
/// The kernel refused an operation with EPERM or EACCES: the process lacks CAP_NET_ADMIN and/or
/// CAP_SYS_ADMIN. Run as root, or grant both capabilities to the test host.
/// </summary>
public sealed class InsufficientPrivilegesException : NetworkOperationException
{
    /// <summary>Creates the exception for <paramref name="operation"/> refused with EPERM or EACCES.</summary>
    /// <param name="operation">What was being done.</param>
    /// <param name="errno">EPERM or EACCES.</param>
    /// <param name="kernelMessage">The kernel's extended-ack text, if any.</param>
    public InsufficientPrivilegesException(string operation, int errno, string? kernelMessage = null)
        : base(operation, errno, kernelMessage, NetworkPrivileges.Requirement)
    {
    }
}

/// <summary>
/// The kernel answered EEXIST: a namespace or link of that name, an address, a route or an interface
/// index already exists. Kernel teardown is asynchronous, so a name reused within ~100 ms of its
/// disposal can collide too.
/// </summary>
public sealed class NameInUseException : NetworkOperationException
{
    /// <summary>Creates the exception for <paramref name="operation"/> failing with EEXIST.</summary>
    /// <param name="operation">What was being done.</param>
    /// <param name="errno">EEXIST.</param>
    /// <param name="kernelMessage">The kernel's extended-ack text, if any.</param>
    public NameInUseException(string operation, int errno, string? kernelMessage = null)
        : base(operation, errno, kernelMessage, "it already exists")
    {
    }
}
