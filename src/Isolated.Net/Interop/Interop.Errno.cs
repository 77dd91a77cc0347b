using Tmds.Linux;

namespace Isolated.Net.Interop;

// The one place that turns errno into exceptions (as dotnet/runtime's Interop.CheckIo).
internal static partial class Interop
{
    // Linux generic errno names (asm-generic/errno-base.h and errno.h), indexed by value.
    private static readonly string[] s_errnoNames =
    [
        "0", "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD",
        "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR",
        "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS",
        "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP",
        "41", "ENOMSG", "EIDRM", "ECHRNG", "EL2NSYNC", "EL3HLT", "EL3RST", "ELNRNG", "EUNATCH", "ENOCSI",
        "EL2HLT", "EBADE", "EBADR", "EXFULL", "ENOANO", "EBADRQC", "EBADSLT", "58", "EBFONT", "ENOSTR",
        "ENODATA", "ETIME", "ENOSR", "ENONET", "ENOPKG", "EREMOTE", "ENOLINK", "EADV", "ESRMNT", "ECOMM",
        "EPROTO", "EMULTIHOP", "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG", "ELIBACC", "ELIBBAD",
        "ELIBSCN", "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS", "ENOTSOCK", "EDESTADDRREQ", "EMSGSIZE",
        "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT", "ESOCKTNOSUPPORT", "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE", "EADDRNOTAVAIL", "ENETDOWN",
        "ENETUNREACH", "ENETRESET", "ECONNABORTED", "ECONNRESET", "ENOBUFS", "EISCONN", "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT",
        "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH", "EALREADY", "EINPROGRESS", "ESTALE", "EUCLEAN", "ENOTNAM", "ENAVAIL", "EISNAM",
        "EREMOTEIO", "EDQUOT", "ENOMEDIUM", "EMEDIUMTYPE", "ECANCELED", "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED", "EKEYREJECTED", "EOWNERDEAD",
        "ENOTRECOVERABLE", "ERFKILL", "EHWPOISON",
    ];

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int ENOSPC = 28;
    public const int ENOTSUP = 95;
    public const int ENOBUFS = 105;
    public const int ETIMEDOUT = 110;
    public const int EHOSTUNREACH = 113;
    public const int ENETUNREACH = 101;
    public const int ECONNREFUSED = 111;

    /// <summary>The symbolic name of an errno value, e.g. "EEXIST".</summary>
    public static string ErrnoName(int errno) =>
        errno >= 0 && errno < s_errnoNames.Length ? s_errnoNames[errno] : "E" + errno.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The C library's text for an errno value, e.g. "File exists".</summary>
    public static unsafe string ErrnoText(int errno)
    {
        // glibc's strerror_r is the GNU variant (returns char*), Tmds.LibC binds the XSI one; use
        // Marshal's portable formatter, which maps through the same table.
        return System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno);
    }

    /// <summary>Reads errno of the last Tmds.LibC call on this thread.</summary>
    public static int LastErrno => LibC.errno;

    /// <summary>Builds the exception for a failed operation: privilege, collision or plain failure.</summary>
    public static NetworkOperationException Error(string operation, int errno, string? kernelMessage = null) => errno switch
    {
        EPERM or EACCES => new InsufficientPrivilegesException(operation, errno, kernelMessage),
        EEXIST => new NameInUseException(operation, errno, kernelMessage),
        _ => new NetworkOperationException(operation, errno, kernelMessage),
    };

    /// <summary>Throws for the current errno; call straight after a failing syscall.</summary>
    public static NetworkOperationException ErrorFromLastErrno(string operation) => Error(operation, LastErrno);

    /// <summary>Throws when <paramref name="result"/> is negative, naming the operation.</summary>
    public static int CheckIo(int result, string operation)
    {
        if (result < 0)
        {
            throw ErrorFromLastErrno(operation);
        }
        return result;
    }
}
