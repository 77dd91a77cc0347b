using Xunit;

namespace Isolated.Net.Xunit.Tests;

// By default only the body runs inside: constructor, InitializeAsync, DisposeAsync and Dispose run in
// the root namespace. Dispose checks itself: a throw there fails the test.
public class RootLifecycleTests : IAsyncLifetime, IDisposable
{
    private readonly ulong _constructedIn = Membership.Current;
    private ulong _initializedIn;

    public Task InitializeAsync()
    {
        _initializedIn = Membership.Current;
        return Task.CompletedTask;
    }

    [NetFact]
    public void Constructor_and_InitializeAsync_run_in_the_root_namespace()
    {
        Assert.Equal(Membership.Root, _constructedIn);
        Assert.Equal(Membership.Root, _initializedIn);
        Assert.NotEqual(Membership.Root, Membership.Current);
    }

    [NetFact]
    public async Task Async_body_with_root_lifecycle()
    {
        await Task.Yield();
        Assert.Equal(Membership.Root, _constructedIn);
        Assert.Equal(NetTestContext.Namespace!.Inode, Membership.Current);
    }

    public Task DisposeAsync()
    {
        ThrowUnless(Membership.Root, nameof(DisposeAsync));
        return Task.CompletedTask;
    }

    public void Dispose() => ThrowUnless(Membership.Root, nameof(Dispose));

    private static void ThrowUnless(ulong expected, string where)
    {
        if (Membership.Current != expected)
        {
            throw new InvalidOperationException($"{where} ran in net:[{Membership.Current}], expected net:[{expected}]");
        }
    }
}

// LifecycleInside = true: the whole lifecycle runs on the namespace thread.
public class InsideLifecycleTests : IAsyncLifetime, IDisposable
{
    private readonly ulong _constructedIn = Membership.Current;
    private readonly NetworkNamespace? _constructedFor = NetTestContext.Namespace;
    private ulong _initializedIn;

    public async Task InitializeAsync()
    {
        await Task.Delay(5);
        _initializedIn = Membership.Current;
    }

    [NetFact(LifecycleInside = true)]
    public void Constructor_and_InitializeAsync_run_inside_the_fresh_namespace()
    {
        Assert.NotNull(_constructedFor);
        Assert.Equal(_constructedFor.Inode, _constructedIn);
        Assert.Equal(_constructedFor.Inode, _initializedIn);
        Assert.Equal(_constructedFor.Inode, Membership.Current);
    }

    [NetTheory(LifecycleInside = true)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Theory_rows_with_lifecycle_inside(int row)
    {
        await Task.Delay(row);
        Assert.Equal(_constructedFor!.Inode, _constructedIn);
        Assert.Equal(_constructedFor.Inode, Membership.Current);
    }

    public async Task DisposeAsync()
    {
        await Task.Delay(5);
        ThrowUnlessInside(nameof(DisposeAsync));
    }

    public void Dispose() => ThrowUnlessInside(nameof(Dispose));

    private void ThrowUnlessInside(string where)
    {
        if (Membership.Current != _constructedFor?.Inode)
        {
            throw new InvalidOperationException($"{where} ran in net:[{Membership.Current}], expected net:[{_constructedFor?.Inode}]");
        }
    }
}

// LifecycleInside with a fixture host: the constructor runs in that host.
public class InsideLifecycleHostTests(ClientServerFixture fixture) : IClassFixture<ClientServerFixture>
{
    private readonly ulong _constructedIn = Membership.Current;

    [NetFact(Host = "server", LifecycleInside = true)]
    public void Constructor_runs_in_the_host() =>
        Assert.Equal(fixture["server"].Namespace.Inode, _constructedIn);

    [NetFact(Host = "server")]
    public void Constructor_runs_in_the_root_namespace_by_default() =>
        Assert.Equal(Membership.Root, _constructedIn);
}
