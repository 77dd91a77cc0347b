using System.Runtime.Versioning;

// Network namespaces, veth and rtnetlink exist only on Linux.
[assembly: SupportedOSPlatform("linux")]
