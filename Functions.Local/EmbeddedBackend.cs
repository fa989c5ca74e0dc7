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
    public const string TaskHub = "cordon";

    /// <summary>Work items the sidecar hands the worker at once; the worker runs as many activities.</summary>
    public static readonly int WorkItemsInFlight = Environment.ProcessorCount * 16;

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
                TaskHubName = TaskHub,
                StorageAccountClientProvider = new StorageAccountClientProvider(settings.StorageConnectionString),
                LoggerFactory = loggerFactory,
                // One machine: poll the queues often so a step follows the previous one in milliseconds.
                MaxQueuePollingInterval = TimeSpan.FromMilliseconds(settings.MaxQueuePollingMs),
                PartitionCount = 1,
                MaxConcurrentTaskActivityWorkItems = WorkItemsInFlight,
                MaxConcurrentTaskOrchestrationWorkItems = WorkItemsInFlight,
            });
            await azure.CreateIfNotExistsAsync();
            service = azure;
        }
        else
        {
            service = new InMemoryStore(loggerFactory);
        }

        int port = FreeLoopbackPort();
        string address = $"http://127.0.0.1:{port}";
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
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
        await sidecar.StopAsync();
        await sidecar.DisposeAsync();
        if (Service is AzureStorageOrchestrationService azure)
        {
            await azure.StopAsync(isForced: false); // releases the partition lease so a restarted host resumes at once
        }

        loggerFactory.Dispose();
    }

    /// <summary>
    /// The in-memory store with the sidecar's dispatch limits raised. Its own limit is one work item per core,
    /// and a full dispatcher re-polls every 500 ms: on two cores two waiting activities (a throttled Graph
    /// batch) stalled every other incident. The sidecar reads the limits through IOrchestrationService.
    /// </summary>
    sealed class InMemoryStore(ILoggerFactory loggerFactory) : InMemoryOrchestrationService(loggerFactory), IOrchestrationService
    {
        public new int MaxConcurrentTaskOrchestrationWorkItems => WorkItemsInFlight;

        public new int MaxConcurrentTaskActivityWorkItems => WorkItemsInFlight;
    }

    static int FreeLoopbackPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
