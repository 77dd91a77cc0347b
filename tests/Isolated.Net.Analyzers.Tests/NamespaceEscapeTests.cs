using Xunit;
using Verify = Isolated.Net.Analyzers.Tests.AnalyzerVerifier<Isolated.Net.Analyzers.NamespaceEscapeAnalyzer>;

namespace Isolated.Net.Analyzers.Tests;

public sealed class NamespaceEscapeTests
{
    [Fact]
    public Task Work_handed_to_other_threads_inside_Run_is_reported() =>
        Verify.VerifyAsync("""
            class C
            {
                async Task M(NetworkNamespace ns, NetHost host)
                {
                    ns.Run(() =>
                    {
                        {|ISONET002:Task.Run(() => { })|};
                        {|ISONET002:Task.Factory.StartNew(() => { })|};
                        {|ISONET002:ThreadPool.QueueUserWorkItem(_ => { })|};
                        {|ISONET002:ThreadPool.UnsafeQueueUserWorkItem(_ => { }, null)|};
                        {|ISONET002:System.Threading.Tasks.Parallel.For(0, 2, _ => { })|};
                        var thread = {|ISONET002:new Thread(() => { })|};
                        using var timer = {|ISONET002:new Timer(_ => { })|};
                    });
                    await host.RunAsync(async () => await {|ISONET002:Task.Run(() => 1)|});
                    var n = host.Run(() => {|ISONET002:Task.Run(() => 2)|}.Result);
                }
            }
            """);

    [Fact]
    public Task Work_handed_to_other_threads_outside_a_namespace_body_is_not_reported() =>
        Verify.VerifyAsync("""
            class C
            {
                async Task M(NetworkNamespace ns)
                {
                    await Task.Run(() => { });
                    ThreadPool.QueueUserWorkItem(_ => { });
                    new Thread(() => { }).Start();
                    Action a = () => Task.Run(() => { });
                    var list = new System.Collections.Generic.List<int>();
                    list.ForEach(x => Task.Run(() => x));
                    ns.Run(() => { });
                    await Task.Delay(1);
                }

                [Xunit.Fact]
                public Task PlainFact() => Task.Run(() => { });
            }
            """);

    [Fact]
    public Task Test_bodies_that_run_in_a_namespace_are_checked() =>
        Verify.VerifyAsync("""
            class XunitTests
            {
                [Isolated.Net.Xunit.NetFact]
                public Task Fact() => {|ISONET002:Task.Run(() => { })|};

                [Isolated.Net.Xunit.NetTheory(Host = "client")]
                public async Task Theory(int x) => await Task.Delay(x).{|ISONET003:ConfigureAwait(false)|};
            }

            class NUnitTests
            {
                [NUnit.Framework.Test, Isolated.Net.NUnit.NetworkIsolated("client")]
                public void Method() => {|ISONET002:ThreadPool.QueueUserWorkItem(_ => { })|};
            }

            [Isolated.Net.NUnit.NetworkIsolated]
            class NUnitClassTests
            {
                [NUnit.Framework.Test]
                public void Test() { var t = {|ISONET002:new Thread(() => { })|}; }

                // Not a test: a helper, whose caller decides where it runs.
                public void Helper() { var t = new Thread(() => { }); }
            }
            """);

    [Fact]
    public Task An_assembly_level_NetworkIsolated_and_a_derived_NetFact_are_recognised() =>
        Verify.VerifyAsync("""
            [assembly: Isolated.Net.NUnit.NetworkIsolated]

            class MyNetFact : Isolated.Net.Xunit.NetFactAttribute { }

            class Tests
            {
                [NUnit.Framework.Test]
                public void NUnitTest() => {|ISONET002:Parallel.Invoke(() => { })|};

                [MyNetFact]
                public void XunitTest() => {|ISONET002:ThreadPool.QueueUserWorkItem(_ => { })|};
            }
            """);

    [Fact]
    public Task ConfigureAwait_false_inside_a_namespace_body_is_reported() =>
        Verify.VerifyAsync("""
            class C
            {
                Task M(NetworkNamespace ns) => ns.RunAsync(async () =>
                {
                    await Task.Delay(1).{|ISONET003:ConfigureAwait(false)|};
                    await new ValueTask<int>(1).{|ISONET003:ConfigureAwait(false)|};
                    await Task.Delay(1).{|ISONET003:ConfigureAwait(ConfigureAwaitOptions.None)|};
                    await Task.Delay(1).{|ISONET003:ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing)|};
                });
            }
            """);

    [Fact]
    public Task ConfigureAwait_that_keeps_the_context_or_runs_outside_is_not_reported() =>
        Verify.VerifyAsync("""
            class C
            {
                async Task M(NetworkNamespace ns, bool flag)
                {
                    await ns.RunAsync(async () =>
                    {
                        await Task.Delay(1).ConfigureAwait(true);
                        await Task.Delay(1).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext);
                        await Task.Delay(1).ConfigureAwait(flag);
                    }).ConfigureAwait(false);
                    await Task.Delay(1).ConfigureAwait(false);
                }
            }
            """);

    [Fact]
    public Task A_plain_HttpClient_inside_Run_is_reported_and_replaced_by_the_namespace_factory() =>
        Verify.VerifyFixAsync<UseNamespaceFactoryCodeFix>("""
            class C
            {
                Task M(NetworkNamespace ns) => ns.RunAsync(async () =>
                {
                    using var http = {|ISONET004:new HttpClient()|};
                    await http.GetStringAsync("http://server/");
                });
            }
            """, """
            class C
            {
                Task M(NetworkNamespace ns) => ns.RunAsync(async () =>
                {
                    using var http = ns.CreateHttpClient();
                    await http.GetStringAsync("http://server/");
                });
            }
            """);

    [Fact]
    public Task A_handler_inside_a_host_body_is_replaced_by_the_hosts_factory() =>
        Verify.VerifyFixAsync<UseNamespaceFactoryCodeFix>("""
            class C
            {
                void M(Topology net) => net["client"].Run(() =>
                {
                    using var http = new HttpClient({|ISONET004:new SocketsHttpHandler()|});
                    HttpClient target = {|ISONET004:new()|};
                });
            }
            """, """
            class C
            {
                void M(Topology net) => net["client"].Run(() =>
                {
                    using var http = new HttpClient(net["client"].CreateHttpMessageHandler());
                    HttpClient target = net["client"].CreateHttpClient();
                });
            }
            """);

    [Fact]
    public Task A_plain_HttpClient_in_a_NetFact_test_is_replaced_by_the_test_context() =>
        Verify.VerifyFixAsync<UseNamespaceFactoryCodeFix>("""
            class Tests
            {
                [Isolated.Net.Xunit.NetFact]
                public void Fact() { using var http = {|ISONET004:new HttpClient()|}; }
            }
            """, """
            class Tests
            {
                [Isolated.Net.Xunit.NetFact]
                public void Fact() { using var http = Isolated.Net.Xunit.NetTestContext.Namespace!.CreateHttpClient(); }
            }
            """);

    [Fact]
    public Task A_plain_HttpClient_with_an_unrepeatable_receiver_has_no_fix() =>
        Verify.VerifyFixAsync<UseNamespaceFactoryCodeFix>("""
            class C
            {
                void M() => NetworkNamespace.Create().Run(() => { using var http = {|ISONET004:new HttpClient()|}; });
            }
            """, fixedSource: null);

    [Fact]
    public Task The_namespaces_own_factories_sockets_and_outside_clients_are_not_reported() =>
        Verify.VerifyAsync("""
            class C
            {
                async Task M(NetworkNamespace ns, NetHost host)
                {
                    using var outside = new HttpClient();
                    await ns.RunAsync(async () =>
                    {
                        using var a = ns.CreateHttpClient();
                        using var b = new HttpClient(host.CreateHttpMessageHandler());
                        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                        using var tcp = new TcpClient(AddressFamily.InterNetwork);
                        using var listener = ns.Listen(new IPEndPoint(IPAddress.Loopback, 80));
                        var addresses = Dns.GetHostAddresses("localhost");
                        var resolved = await host.ResolveAsync("server");
                    });
                }
            }
            """);

    [Fact]
    public Task Asynchronous_Dns_inside_a_namespace_body_is_reported() =>
        Verify.VerifyAsync("""
            class C
            {
                Task M(NetHost host) => host.RunAsync(async () =>
                {
                    var a = await {|ISONET005:Dns.GetHostAddressesAsync("server")|};
                    var e = await {|ISONET005:Dns.GetHostEntryAsync("server")|};
                });

                Task Outside() => Dns.GetHostAddressesAsync("server");
            }
            """);
}
