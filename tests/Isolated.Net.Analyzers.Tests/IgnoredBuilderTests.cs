using Xunit;
using Verify = Isolated.Net.Analyzers.Tests.AnalyzerVerifier<Isolated.Net.Analyzers.IgnoredBuilderAnalyzer>;

namespace Isolated.Net.Analyzers.Tests;

public sealed class IgnoredBuilderTests
{
    [Fact]
    public Task A_dropped_builder_in_a_loop_is_reported_and_assigned_by_the_fix() =>
        Verify.VerifyFixAsync<AssignBuilderCodeFix>("""
            class C
            {
                TopologyBuilder M()
                {
                    var builder = new TopologyBuilder().AddSwitch("s");
                    for (int i = 0; i < 3; i++)
                    {
                        {|ISONET001:builder.AddHost("h" + i).Connect("h" + i, "s")|};
                    }
                    return builder;
                }
            }
            """, """
            class C
            {
                TopologyBuilder M()
                {
                    var builder = new TopologyBuilder().AddSwitch("s");
                    for (int i = 0; i < 3; i++)
                    {
                        builder = builder.AddHost("h" + i).Connect("h" + i, "s");
                    }
                    return builder;
                }
            }
            """);

    [Fact]
    public Task A_dropped_builder_from_a_field_is_assigned_back_to_the_field() =>
        Verify.VerifyFixAsync<AssignBuilderCodeFix>("""
            class C
            {
                private TopologyBuilder _builder = new();
                void M() => _ = 0;
                void N() { {|ISONET001:_builder.WithoutIPv6()|}; }
            }
            """, """
            class C
            {
                private TopologyBuilder _builder = new();
                void M() => _ = 0;
                void N() { _builder = _builder.WithoutIPv6(); }
            }
            """);

    [Fact]
    public Task A_dropped_chain_on_a_new_builder_is_reported_without_a_fix() =>
        Verify.VerifyFixAsync<AssignBuilderCodeFix>("""
            class C
            {
                void M() { {|ISONET001:new TopologyBuilder().AddHost("a")|}; }
            }
            """, fixedSource: null);

    [Fact]
    public Task A_dropped_builder_from_a_foreach_variable_has_no_fix() =>
        Verify.VerifyFixAsync<AssignBuilderCodeFix>("""
            class C
            {
                void M(TopologyBuilder[] all)
                {
                    foreach (var b in all) { {|ISONET001:b.AddHost("a")|}; }
                }
            }
            """, fixedSource: null);

    [Fact]
    public Task A_conditional_call_is_reported() =>
        Verify.VerifyAsync("""
            class C
            {
                void M(TopologyBuilder? b) { {|ISONET001:b?.AddRouter("r")|}; }
            }
            """);

    [Fact]
    public Task Assigned_returned_chained_passed_and_discarded_results_are_not_reported() =>
        Verify.VerifyAsync("""
            class C
            {
                TopologyBuilder M(TopologyBuilder builder)
                {
                    builder = builder.AddHost("a");
                    var other = builder.AddHost("b").Link("a", "b");
                    Use(builder.WithoutIPv6());
                    _ = builder.AddSwitch("s");
                    builder.Validate();
                    Func<TopologyBuilder> later = () => builder.AddHost("c");
                    return builder.AddHost("d");
                }

                static void Use(TopologyBuilder builder) { }
            }
            """);
}
