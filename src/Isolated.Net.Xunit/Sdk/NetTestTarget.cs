using System.Reflection;
using System.Text;

namespace Isolated.Net.Xunit.Sdk;

// Where one test runs: a fresh namespace owned by the test, or a host of a fixture's topology.
internal sealed class NetTestTarget : IDisposable
{
    private readonly TopologyFixture? _fixture;

    private NetTestTarget(NetworkNamespace ns, Host? host, TopologyFixture? fixture)
    {
        Namespace = ns;
        Host = host;
        _fixture = fixture;
        Inodes = host is null ? [ns.Inode] : [.. host.Topology.Hosts.Select(h => h.Namespace.Inode)];
    }

    public NetworkNamespace Namespace { get; }

    public Host? Host { get; }

    // The namespaces this test may leave threads in: its own, or every host of its topology.
    public IReadOnlyCollection<ulong> Inodes { get; }

    public static NetTestTarget Resolve(NetTestSettings settings, object[] constructorArguments, Type testClass, MethodInfo testMethod)
    {
        if (settings.Host is null)
        {
            return new NetTestTarget(NetworkNamespace.Create(), host: null, fixture: null);
        }
        var fixtures = constructorArguments.OfType<TopologyFixture>().ToList();
        if (fixtures.Count == 0)
        {
            throw new InvalidOperationException(MissingFixtureMessage(settings.Host, testClass, testMethod));
        }
        // With several topology fixtures (class and collection), the one that has the host wins; a
        // fixture that failed to build rethrows its error when it is the only candidate left.
        foreach (var fixture in fixtures.Take(fixtures.Count - 1))
        {
            if (fixture.IsBuilt || TryBuild(fixture))
            {
                if (fixture.Topology.Hosts.FirstOrDefault(h => h.Name == settings.Host) is { } found)
                {
                    return new NetTestTarget(found.Namespace, found, fixture);
                }
            }
        }
        var last = fixtures[^1];
        var host = last.Topology[settings.Host];
        return new NetTestTarget(host.Namespace, host, last);
    }

    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine("----- Isolated.Net: the network at the time of the failure -----");
        if (Host is null)
        {
            text.Append("fresh namespace of this test: ").AppendLine(Namespace.ToString());
            NamespaceDescription.Append(text, Namespace);
        }
        else
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"the body ran in host '{Host.Name}' of the topology of {_fixture!.GetType().Name}:").AppendLine();
            text.Append(Host.Topology.Describe());
        }
        return text.ToString();
    }

    public void Dispose()
    {
        if (Host is null)
        {
            Namespace.Dispose();
        }
    }

    private static bool TryBuild(TopologyFixture fixture)
    {
        try
        {
            _ = fixture.Topology;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string MissingFixtureMessage(string host, Type testClass, MethodInfo testMethod)
    {
        var declared = testClass.GetInterfaces()
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition().Name is "IClassFixture`1" or "ICollectionFixture`1")
            .Select(i => i.GetGenericArguments()[0])
            .Where(t => typeof(TopologyFixture).IsAssignableFrom(t))
            .ToList();
        var hint = declared.Count > 0
            ? $"{testClass.Name} declares {string.Join(", ", declared.Select(t => t.Name))} as a fixture but its constructor does not take it: add a constructor parameter of that type."
            : $"Implement IClassFixture<YourFixture> (or use a collection with ICollectionFixture<YourFixture>), where YourFixture derives from TopologyFixture, and take YourFixture in the constructor of {testClass.Name}.";
        return $"{testClass.Name}.{testMethod.Name} runs in host '{host}', but its test class receives no TopologyFixture. {hint}";
    }
}
