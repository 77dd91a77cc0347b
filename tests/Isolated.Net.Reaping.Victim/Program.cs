using System.Globalization;
using Isolated.Net;

// Builds what a test host builds — a named namespace, a topology, processes inside hosts — announcing
// each step on stdout. VICTIM_PARK_AT=<step> makes it stop there and wait to be killed; VICTIM_ANONYMOUS=1
// leaves out the named namespace (rootless tests, where /run/netns may not be there to mount a private one).
var prefix = args.Length > 0 ? args[0] : "victim-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
var parkAt = Environment.GetEnvironmentVariable("VICTIM_PARK_AT");

Step("start");
var named = Environment.GetEnvironmentVariable("VICTIM_ANONYMOUS") == "1" ? NetworkNamespace.Create() : NetworkNamespace.Create(prefix);
Console.WriteLine($"NAMED {named.Inode}");
Step("named");
var net = new TopologyBuilder()
    .AddSwitch("lan")
    .AddHost("a").Connect("a", "lan")
    .AddHost("b").Connect("b", "lan")
    .Build();
Console.WriteLine($"NETNS {net["a"].Namespace.Inode} {net["b"].Namespace.Inode}");
Step("topology");
var sleeper = net["a"].StartProcess("sleep", "1000");
Console.WriteLine($"PID {sleeper.Id}");
Step("process");
var shell = net["b"].StartProcess("sh", "-c", "sleep 1000 & sleep 1000");
Console.WriteLine($"PID {shell.Id}");
Step("processes");
Console.WriteLine("READY");
Thread.Sleep(Timeout.Infinite);
GC.KeepAlive(named);
return 0;

void Step(string name)
{
    Console.WriteLine("STEP " + name);
    if (name == parkAt)
    {
        Console.WriteLine("PARKED " + name);
        Thread.Sleep(Timeout.Infinite);
    }
}
