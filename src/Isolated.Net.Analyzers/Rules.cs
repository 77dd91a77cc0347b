using Microsoft.CodeAnalysis;

namespace Isolated.Net.Analyzers;

// The rules, their stable ids and where README documents each one.
internal static class Rules
{
    public const string IgnoredBuilderId = "ISONET001";
    public const string WorkLeavesNamespaceId = "ISONET002";
    public const string ConfigureAwaitFalseId = "ISONET003";
    public const string RootHttpClientId = "ISONET004";
    public const string RootDnsLookupId = "ISONET005";

    private const string Readme = "https://example.invalid/isolated-net#";

    public static readonly DiagnosticDescriptor IgnoredBuilder = new(
        IgnoredBuilderId,
        "The builder's result is ignored",
        "'{0}' returns a new {1} and leaves this one unchanged; assign the result (builder = builder.{0}(...)) or chain the calls",
        "Usage",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "TopologyBuilder is immutable: every method returns a new builder. A call whose result is dropped adds nothing, so the topology is built without that host, switch, link or setting.",
        helpLinkUri: Readme + "isonet001-a-builder-result-is-ignored");

    public static readonly DiagnosticDescriptor WorkLeavesNamespace = new(
        WorkLeavesNamespaceId,
        "Work leaves the namespace thread",
        "{0} runs its work on another thread: from a namespace body that thread is the root namespace's (or a new thread left inside the namespace); keep the work on this thread or use the namespace's factories",
        "Reliability",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Namespace membership belongs to a thread. A body passed to Run/RunAsync, or a [NetFact]/[NetTheory]/[NetworkIsolated] test, runs on the namespace's own thread; the thread pool, Parallel, timers and new threads run elsewhere, and a thread the pool or the body creates there stays in the namespace and is reported as a leak.",
        helpLinkUri: Readme + "isonet002-work-leaves-the-namespace-thread");

    public static readonly DiagnosticDescriptor ConfigureAwaitFalse = new(
        ConfigureAwaitFalseId,
        "ConfigureAwait(false) leaves the namespace thread",
        "ConfigureAwait({0}) continues on the thread pool, in the root namespace; drop it (or pass true) inside a namespace body",
        "Reliability",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Inside a namespace body every await comes back to the namespace thread through its synchronization context. ConfigureAwait(false) skips that context: the code after the await runs on a thread-pool thread in the root namespace, where sockets and connections are the machine's, not the namespace's.",
        helpLinkUri: Readme + "isonet003-configureawaitfalse-leaves-the-namespace-thread");

    public static readonly DiagnosticDescriptor RootHttpClient = new(
        RootHttpClientId,
        "HTTP connections would open in the root namespace",
        "'new {0}()' connects from the thread pool, in the root namespace; use {1}",
        "Reliability",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "HttpClient's handler opens connections with ConfigureAwait(false), on the thread pool, so a plain HttpClient made inside a namespace body still connects from the root namespace. The namespace's or host's CreateHttpClient()/CreateHttpMessageHandler() open every connection inside.",
        helpLinkUri: Readme + "isonet004-http-connections-would-open-in-the-root-namespace");

    public static readonly DiagnosticDescriptor RootDnsLookup = new(
        RootDnsLookupId,
        "Asynchronous DNS lookup runs outside the namespace",
        "Dns.{0} runs getaddrinfo off this thread, outside the namespace; use the host's ResolveAsync for topology names, or the synchronous Dns method, which runs on this thread",
        "Reliability",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "On Linux the asynchronous Dns methods run getaddrinfo off the calling thread (the thread pool, or a glibc helper thread), so the lookup's sockets are not the namespace's. Inside a namespace body, resolve topology names with Host.ResolveAsync, or call the synchronous Dns method, which runs on the namespace thread.",
        helpLinkUri: Readme + "isonet005-asynchronous-dns-lookup-runs-outside-the-namespace");
}
