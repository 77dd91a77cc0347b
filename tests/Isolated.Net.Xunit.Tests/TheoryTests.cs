using Xunit;

namespace Isolated.Net.Xunit.Tests;

public class TheoryTests
{
    public static TheoryData<string, int> Rows => new() { { "a", 1 }, { "b", 2 }, { "c", 3 } };

    // Not serializable: xunit cannot list these rows one by one and enumerates them at run time.
    public static IEnumerable<object[]> Opaque => [[new Opaque(1)], [new Opaque(2)]];

    [NetTheory]
    [InlineData(1)]
    [InlineData(2)]
    public void Inline_rows_each_run_in_a_fresh_namespace(int row)
    {
        Assert.InRange(row, 1, 2);
        Assert.Equal(NetTestContext.Namespace!.Inode, Membership.Current);
        Assert.NotEqual(Membership.Root, Membership.Current);
    }

    [NetTheory]
    [MemberData(nameof(Rows))]
    public async Task Member_data_rows_run_inside(string name, int value)
    {
        await Task.Delay(value);
        Assert.NotEmpty(name);
        Assert.Equal(NetTestContext.Namespace!.Inode, Membership.Current);
    }

    [NetTheory]
    [MemberData(nameof(Opaque))]
    public void Runtime_enumerated_rows_run_inside(Opaque value)
    {
        Assert.True(value.Number > 0);
        Assert.Equal(NetTestContext.Namespace!.Inode, Membership.Current);
    }
}

public sealed class Opaque(int number)
{
    public int Number { get; } = number;
}
