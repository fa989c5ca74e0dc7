using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Cordon.Tests;

/// <summary>Kestrel on 127.0.0.1 and a free port, answering every request with one handler: the start-up the wire fakes share.</summary>
public static class LoopbackServer
{
    /// <summary>Starts the server; returns it (stop and dispose it when done) and its address, e.g. <c>http://127.0.0.1:49152</c>.</summary>
    public static async Task<(WebApplication App, string BaseUrl)> StartAsync(RequestDelegate handler, Action<IServiceCollection>? services = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(LocalHost.Unwatched); // no folder watched: tests start hundreds of these
        builder.Logging.ClearProviders();
        services?.Invoke(builder.Services);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        return (app, app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
    }
}
