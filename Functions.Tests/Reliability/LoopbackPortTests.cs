using System.Net;
using System.Net.Sockets;
using Cordon.Local;

namespace Cordon.Tests.Reliability;

/// <summary>
/// A port chosen ahead of a server's start (Azurite, a host restarted on its URL) must not be one the kernel hands out
/// to outgoing connections meanwhile: a CI run lost a test when the sidecar's pre-picked port was taken before it bound.
/// </summary>
[Trait("Category", "Unit")]
public sealed class LoopbackPortTests
{
    [Fact]
    public void Ports_picked_for_servers_lie_below_the_kernels_ephemeral_range_and_are_free()
    {
        int ephemeralStart = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0]);
        for (int i = 0; i < 20; i++)
        {
            int port = LoopbackPort.Free();
            Assert.InRange(port, 1024, ephemeralStart - 1);
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
        }
    }
}
