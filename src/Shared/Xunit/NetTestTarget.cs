using System.Globalization;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Text;

// Internal to each xUnit adapter (v2 and v3), in the same namespace in both; the v3 adapter finds
// TopologyFixture and NetTestContext through a global using.
namespace Isolated.Net.Xunit.Sdk;

// Where one test runs: a fresh namespace owned by the test, or a host of a fixture's topology.
internal sealed class NetTestTarget : IDisposable
{
    private readonly TopologyFixture? _fixture;

    private NetTestTarget(NetworkNamespace ns, NetHost? host, TopologyFixture? fixture)
    {
        Namespace = ns;
        Host = host;
        _fixture = fixture;
        Inodes = host is null ? [ns.Inode] : [.. host.Topology.Hosts.Select(h => h.Namespace.Inode)];
    }

    public NetworkNamespace Namespace { get; }

    public NetHost? Host { get; }

    // The namespaces this test may leave threads in: its own, or every host of its topology.
    public IReadOnlyCollection<ulong> Inodes { get; }

    public static NetTestTarget Resolve(string? host, object?[] constructorArguments, Type testClass, MethodInfo testMethod)
    {
        if (host is null)
        {
            return new NetTestTarget(NetworkNamespace.Create(), host: null, fixture: null);
        }
        var fixtures = constructorArguments.OfType<TopologyFixture>().ToList();
        if (fixtures.Count == 0)
        {
            throw new InvalidOperationException(MissingFixtureMessage(host, testClass, testMethod));
        }
        // With several topology fixtures (class and collection), the first that has the host wins. A
        // fixture that failed to build is passed over, and its error is what the test fails with when
        // no other fixture has the host.
        Exception? buildFailure = null;
        foreach (var fixture in fixtures)
        {
            Topology topology;
            try
            {
                topology = fixture.Topology;
            }
            catch (InvalidOperationException ex) when (ex is not ObjectDisposedException)
            {
                buildFailure ??= ex;
                continue;
            }
            if (topology.Hosts.FirstOrDefault(h => h.Name == host) is { } found)
            {
                return new NetTestTarget(found.Namespace, found, fixture);
            }
        }
        if (buildFailure is not null)
        {
            ExceptionDispatchInfo.Throw(buildFailure);
        }
        var hosts = fixtures.Select(f => $"{f.GetType().Name} has {string.Join(", ", f.Topology.Hosts.Select(h => "'" + h.Name + "'"))}");
        throw new InvalidOperationException($"Host '{host}' is in no topology fixture of {testClass.Name}: {string.Join("; ", hosts)}.");
    }

    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine("----- Isolated.Net: the network at the time of the failure -----");
        if (Host is null)
        {
            text.Append("fresh namespace of this test: ").Append(Namespace.Describe());
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture,
                $"the body ran in host '{Host.Name}' of the topology of {_fixture!.GetType().Name}:").AppendLine();
            text.Append(Host.Topology.Describe());
        }
        return text.ToString();
    }

    // Every interface of the test's namespace, from before the body starts until the test is done.
    public PacketCapture StartCapture() => Host?.StartCapture() ?? Namespace.StartCapture();

    public void Dispose()
    {
        if (Host is null)
        {
            Namespace.Dispose();
        }
    }

    private static string MissingFixtureMessage(string host, Type testClass, MethodInfo testMethod)
    {
        var declared = testClass.GetInterfaces()
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition().Name is "IClassFixture`1" or "ICollectionFixture`1" or "IAssemblyFixture`1")
            .Select(i => i.GetGenericArguments()[0])
            .Where(t => typeof(TopologyFixture).IsAssignableFrom(t))
            .ToList();
        var hint = declared.Count > 0
            ? $"{testClass.Name} declares {string.Join(", ", declared.Select(t => t.Name))} as a fixture but its constructor does not take it: add a constructor parameter of that type."
            : $"Implement IClassFixture<YourFixture> (or use a collection with ICollectionFixture<YourFixture>), where YourFixture derives from TopologyFixture, and take YourFixture in the constructor of {testClass.Name}.";
        return $"{testClass.Name}.{testMethod.Name} runs in host '{host}', but its test class receives no TopologyFixture. {hint}";
    }
}
