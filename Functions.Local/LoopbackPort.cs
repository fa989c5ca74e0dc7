using System.Net;
using System.Net.Sockets;

namespace Cordon.Local;

/// <summary>
/// A free loopback port for a server that must be told its port before it starts (Azurite, a host restarted on the
/// same URL because links carry it). A port the kernel picks for bind(0) comes from the ephemeral range, where it
/// also picks the local ports of outgoing connections: once released, a client connection can take it before the
/// server binds (a CI run lost a test to "address already in use"). These ports come from below that range, so only
/// another server choosing explicitly could take one, and are checked free. A server that can report its own port
/// binds port 0 instead.
/// </summary>
public static class LoopbackPort
{
    const int Lowest = 20_000;

    public static int Free()
    {
        int below = EphemeralRangeStart();
        for (int attempt = 0; attempt < 200 && below > Lowest + 100; attempt++)
        {
            int port = Random.Shared.Next(Lowest, below);
            if (Bindable(port))
            {
                return port;
            }
        }

        // No room below the ephemeral range on this machine: the kernel's pick, as before.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static bool Bindable(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Linux's ip_local_port_range start; the IANA dynamic range's start (49152) elsewhere.</summary>
    static int EphemeralRangeStart()
    {
        try
        {
            string range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range");
            return int.Parse(range.Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 49_152;
        }
    }
}
