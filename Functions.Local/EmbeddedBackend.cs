using System.Net;
using System.Net.Sockets;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;

namespace Cordon.Local;

/// <summary>
/// The Durable Task backend on one machine: the in-process gRPC sidecar (the one the test host uses)
/// serving either the in-memory store or the Azure Storage provider (Azurite), the same provider
/// Durable Functions uses in Azure, so incidents survive a restart.
/// </summary>
public sealed class EmbeddedBackend : IAsyncDisposable
{
    readonly WebApplication sidecar;
    readonly ILoggerFactory loggerFactory;

    EmbeddedBackend(WebApplication sidecar, string address, IOrchestrationService service, ILoggerFactory loggerFactory)
    {
        this.sidecar = sidecar;
        this.loggerFactory = loggerFactory;
        Address = address;
        Service = service;
    }

    public string Address { get; }

    public IOrchestrationService Service { get; }

    public static async Task<EmbeddedBackend> StartAsync(LocalSettings settings)
    {
        ILoggerFactory loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        IOrchestrationService service;
        if (settings.Store == StoreKind.Azurite)
        {
            var azure = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
            {
                TaskHubName = settings.TaskHub,
                StorageAccountClientProvider = new StorageAccountClientProvider(settings.StorageConnectionString),
                LoggerFactory = loggerFactory,
                // One machine: poll the queues often so a step follows the previous one in milliseconds.
                MaxQueuePollingInterval = TimeSpan.FromMilliseconds(settings.MaxQueuePollingMs),
                PartitionCount = 1,
                // One host per task hub: no app-lease handover to wait for after a restart (its retry interval is 5 min).
                UseAppLease = false,
                // Messages a stopped or crashed host had taken come back after these, not the default 5 min:
                // orchestration episodes are short; a step must finish within its timeout, which the sidecar
                // does not renew (--message-visibility-seconds, default 60).
                ControlQueueVisibilityTimeout = settings.MessageVisibility < TimeSpan.FromSeconds(30) ? settings.MessageVisibility : TimeSpan.FromSeconds(30),
                WorkItemQueueVisibilityTimeout = settings.MessageVisibility,
            });
            await azure.CreateIfNotExistsAsync();
            service = azure;
        }
        else
        {
            service = new WiderInMemoryOrchestrationService(loggerFactory);
        }

        int port = FreeLoopbackPort();
        string address = $"http://127.0.0.1:{port}";
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        // The sidecar's gRPC requests are plumbing, not steps of an incident: keep them out of the traces
        // (Kestrel takes its ActivitySource from DI; the Durable Task protocol carries the trace context itself).
        builder.Services.AddSingleton(new System.Diagnostics.ActivitySource("Cordon.Local.Sidecar"));
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);
        builder.Services.AddSingleton(service);
        builder.Services.AddSingleton((IOrchestrationServiceClient)service);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        WebApplication app = builder.Build();
        app.MapGrpcService<TaskHubGrpcServer>();
        await app.StartAsync();
        return new EmbeddedBackend(app, address, service, loggerFactory);
    }

    public async ValueTask DisposeAsync()
    {
        // Stopping the sidecar stops the orchestration service (releasing its partition) in the sidecar's own
        // fire-and-forget stop; a second StopAsync here raced it and threw inside that stop, killing the process.
        await sidecar.StopAsync();
        await sidecar.DisposeAsync();

        loggerFactory.Dispose();
    }

    /// <summary>
    /// The in-memory store lets the sidecar run only as many activities (and orchestration episodes) at
    /// once as there are processors, and the sidecar holds a slot for the whole activity: on two cores
    /// two slow connector calls stalled every other incident. Steps here mostly wait on I/O.
    /// </summary>
    sealed class WiderInMemoryOrchestrationService(ILoggerFactory loggerFactory) : InMemoryOrchestrationService(loggerFactory), IOrchestrationService
    {
        int IOrchestrationService.MaxConcurrentTaskActivityWorkItems => Environment.ProcessorCount * 16;

        int IOrchestrationService.MaxConcurrentTaskOrchestrationWorkItems => Environment.ProcessorCount * 4;
    }

    static int FreeLoopbackPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
