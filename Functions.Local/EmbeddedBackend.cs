using System.Net;
using System.Net.Sockets;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.Query;
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
    /// <summary>Work items the in-memory sidecar hands the worker at once; the worker's own limits bound what runs.</summary>
    const int WorkItemsInFlight = 1024;

    readonly WebApplication sidecar;
    readonly ILoggerFactory loggerFactory;
    System.Runtime.CompilerServices.StrongBox<bool> workerStopping = new();

    /// <summary>The host's worker is stopping: from now on the sidecar's complaints about lost work items are expected.</summary>
    public void WorkerStopping() => workerStopping.Value = true;

    EmbeddedBackend(WebApplication sidecar, string address, IOrchestrationService service, ILoggerFactory loggerFactory)
    {
        this.sidecar = sidecar;
        this.loggerFactory = loggerFactory;
        Address = address;
        Service = service;
    }

    public string Address { get; }

    public IOrchestrationService Service { get; }

    public static async Task<EmbeddedBackend> StartAsync(LocalSettings settings, Cordon.Intake.IntakeInFlight intake)
    {
        var workerStopping = new System.Runtime.CompilerServices.StrongBox<bool>();
        // When the worker disconnects at shutdown, the sidecar logs each work item it could no longer hand over: noise.
        LogLevel minimum = settings.Quiet ? LogLevel.Error : LogLevel.Warning;
        ILoggerFactory loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(minimum)
            .AddFilter((_, _, level) => level >= minimum && !workerStopping.Value));
        IOrchestrationService service;
        if (settings.Store == StoreKind.Azurite)
        {
            var azure = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
            {
                TaskHubName = settings.TaskHub,
                StorageAccountClientProvider = new StorageAccountClientProvider(settings.StorageConnectionString),
                LoggerFactory = loggerFactory,
                // Empty queues are polled at most every LocalSettings.MaxQueuePollingMs; a send wakes the poller at once.
                MaxQueuePollingInterval = TimeSpan.FromMilliseconds(settings.MaxQueuePollingMs),
                PartitionCount = settings.Partitions,
                // Containment happens at intake; the incidents' steps are follow-up work, bounded so that a burst's
                // backlog leaves the CPU to intake (LocalSettings.FollowUpWorkItems says what was measured).
                MaxConcurrentTaskOrchestrationWorkItems = settings.FollowUpWorkItems,
                MaxConcurrentTaskActivityWorkItems = settings.FollowUpWorkItems,
                // One host per task hub: no app-lease handover to wait for after a restart (its retry interval is 5 min).
                UseAppLease = false,
                // Messages a stopped or crashed host had taken come back after --message-visibility-seconds
                // (default 30, orchestration messages at most 30): the sidecar does not renew them, so no step may
                // run longer, and none does: no activity waits inside itself for a throttle or a retry (the
                // incident waits those out on durable timers).
                ControlQueueVisibilityTimeout = settings.MessageVisibility < TimeSpan.FromSeconds(30) ? settings.MessageVisibility : TimeSpan.FromSeconds(30),
                WorkItemQueueVisibilityTimeout = settings.MessageVisibility,
            });
            await azure.CreateIfNotExistsAsync();
            service = azure;
        }
        else
        {
            service = new InMemoryStore(loggerFactory, intake);
        }

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(LocalHost.Unwatched);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        // The sidecar's gRPC requests are plumbing, not steps of an incident: keep them out of the traces
        // (Kestrel takes its ActivitySource from DI; the Durable Task protocol carries the trace context itself).
        builder.Services.AddSingleton(new System.Diagnostics.ActivitySource("Cordon.Local.Sidecar"));
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);
        // The sidecar's worker side fetches through the yield; its client side (starts, queries, purges) goes straight on.
        builder.Services.AddSingleton(service is AzureStorageOrchestrationService azureStorage
            ? new SidecarAzureStorage(azureStorage, intake, loggerFactory.CreateLogger<EmbeddedBackend>())
            : service);
        builder.Services.AddSingleton((IOrchestrationServiceClient)service);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        WebApplication app = builder.Build();
        app.MapGrpcService<TaskHubGrpcServer>();
        await app.StartAsync();
        // Port 0: the kernel picks a free port at bind time. Picking one first and binding it later raced other
        // processes for it (a CI run lost a test to "address already in use").
        string address = app.Urls.Single();
        return new EmbeddedBackend(app, address, service, loggerFactory) { workerStopping = workerStopping };
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
    /// Burst of 1,000 on Azurite, one run each: no yield 78 s p95 (12 alerts/s), 1 s 35.9 s (26/s), 3 s 30.5 s (31/s);
    /// the alert sent right after the burst 62–77 ms with either. Follow-up work fetched at most every 3 s per
    /// dispatcher while alerts keep arriving still advances, and catches up when they stop.
    /// </summary>
    static readonly TimeSpan FollowUpYield = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Follow-up work yields to intake, on either store: while intake is placing and containing alerts, the sidecar's
    /// next fetch of an episode or activity waits for intake to go idle, at most <see cref="FollowUpYield"/>. On one
    /// machine the cores (and on Azurite the emulator's request handling, about 66 requests per incident to its gate,
    /// most of them follow-up work) are shared, so in a burst they go to containment first; follow-up work still gets
    /// a fetch per yield, and all of it once the burst is placed. Work already fetched runs on.
    /// False when the dispatcher is stopping: no work item, as the provider itself answers then.
    /// </summary>
    static async Task<bool> FollowUpMayFetchAsync(Cordon.Intake.IntakeInFlight intake, CancellationToken cancellationToken)
    {
        try
        {
            await intake.YieldAsync(FollowUpYield, TimeProvider.System, cancellationToken);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// The Azure Storage provider as this sidecar drives it: follow-up work yields to intake (<see cref="FollowUpMayFetchAsync"/>).
    /// A stop does not wait for work nobody will do: the sidecar stops its dispatchers before the provider, whose
    /// graceful stop then waited for sessions still in flight to finish (they never did), kept renewing its partition
    /// lease for 10 minutes and then threw on the sidecar's stopping thread, which ended the process (a bench run lost
    /// its report this way). The stop is forced: in-flight sessions are dropped, their messages return to the queue
    /// after the visibility timeout, and the partition is released at once.
    /// </summary>
    sealed class SidecarAzureStorage(AzureStorageOrchestrationService inner, Cordon.Intake.IntakeInFlight intake, ILogger logger) : IOrchestrationService
    {
        public async Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
            await FollowUpMayFetchAsync(intake, cancellationToken) ? await inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken) : null!;

        public async Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
            await FollowUpMayFetchAsync(intake, cancellationToken) ? await inner.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken) : null!;

        // The rest is the provider's own.
        public Task StartAsync() => inner.StartAsync();
        public Task StopAsync() => StopAsync(isForced: true);

        public async Task StopAsync(bool isForced)
        {
            try
            {
                await inner.StopAsync(isForced: true);
            }
            catch (Exception ex)
            {
                // Thrown here it would end the process (the sidecar stops from an async void); the lease lapses anyway.
                logger.LogWarning(ex, "The Azure Storage provider did not stop cleanly");
            }
        }

        public Task CreateAsync() => inner.CreateAsync();
        public Task CreateAsync(bool recreateInstanceStore) => inner.CreateAsync(recreateInstanceStore);
        public Task CreateIfNotExistsAsync() => inner.CreateIfNotExistsAsync();
        public Task DeleteAsync() => inner.DeleteAsync();
        public Task DeleteAsync(bool deleteInstanceStore) => inner.DeleteAsync(deleteInstanceStore);
        public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => inner.EventBehaviourForContinueAsNew;
        public int TaskOrchestrationDispatcherCount => inner.TaskOrchestrationDispatcherCount;
        public int MaxConcurrentTaskOrchestrationWorkItems => inner.MaxConcurrentTaskOrchestrationWorkItems;
        public int TaskActivityDispatcherCount => inner.TaskActivityDispatcherCount;
        public int MaxConcurrentTaskActivityWorkItems => inner.MaxConcurrentTaskActivityWorkItems;
        public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) => inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);
        public int GetDelayInSecondsAfterOnProcessException(Exception exception) => inner.GetDelayInSecondsAfterOnProcessException(exception);
        public int GetDelayInSecondsAfterOnFetchException(Exception exception) => inner.GetDelayInSecondsAfterOnFetchException(exception);
        public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) => inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);
        public Task CompleteTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem, OrchestrationRuntimeState newOrchestrationRuntimeState, IList<TaskMessage> outboundMessages,
            IList<TaskMessage> orchestratorMessages, IList<TaskMessage> timerMessages, TaskMessage continuedAsNewMessage, OrchestrationState orchestrationState) =>
            inner.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);
        public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.AbandonTaskOrchestrationWorkItemAsync(workItem);
        public Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.ReleaseTaskOrchestrationWorkItemAsync(workItem);
        public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) => inner.RenewTaskActivityWorkItemLockAsync(workItem);
        public Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage) => inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage);
        public Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem) => inner.AbandonTaskActivityWorkItemAsync(workItem);
    }

    /// <summary>
    /// The in-memory store with the sidecar's dispatch limits raised. Its own limit is one work item per core,
    /// and a full dispatcher naps 500 ms before fetching again: on two cores a burst of 25 alerts took 15 s
    /// to contain, and two throttled Graph batches stalled every other incident. At 32 a burst of 1,000 still
    /// ran at ~64 episodes/s (32 per nap); the bench measured 1,024. The sidecar reads the limits through
    /// IOrchestrationService, so re-implementing the interface is enough.
    /// </summary>
    sealed class InMemoryStore(ILoggerFactory loggerFactory, Cordon.Intake.IntakeInFlight intake) : InMemoryOrchestrationService(loggerFactory), IOrchestrationService, IOrchestrationServiceClient, IOrchestrationServiceQueryClient
    {
        /// <summary>
        /// Every instance id started, in order: the in-memory query reads every instance for every query, so intake's
        /// look for a subject's incidents (an id prefix) cost a scan of the whole store per alert — 27 % of the host's CPU
        /// in a burst of 3,000. Azure Storage answers it from a range of partition keys; this does the same.
        /// </summary>
        readonly SortedSet<string> ids = new(StringComparer.Ordinal);

        public new async Task CreateTaskOrchestrationAsync(TaskMessage creationMessage)
        {
            await base.CreateTaskOrchestrationAsync(creationMessage);
            Remember(creationMessage);
        }

        public new async Task CreateTaskOrchestrationAsync(TaskMessage creationMessage, OrchestrationStatus[] dedupeStatuses)
        {
            await base.CreateTaskOrchestrationAsync(creationMessage, dedupeStatuses);
            Remember(creationMessage);
        }

        void Remember(TaskMessage creationMessage)
        {
            lock (ids)
            {
                ids.Add(creationMessage.OrchestrationInstance.InstanceId);
            }
        }

        public new async Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
            await FollowUpMayFetchAsync(intake, cancellationToken) ? await base.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken) : null!;

        public new async Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
            await FollowUpMayFetchAsync(intake, cancellationToken) ? await base.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken) : null!;

        public new int MaxConcurrentTaskOrchestrationWorkItems => WorkItemsInFlight;

        public new int MaxConcurrentTaskActivityWorkItems => WorkItemsInFlight;

        /// <summary>
        /// The in-memory query returns every instance's input and output whatever the query asks; list pages ask for
        /// none, and would otherwise carry each incident's alert and plan across gRPC. The stored states are shared
        /// objects, so the answer holds copies.
        /// </summary>
        public new async Task<OrchestrationQueryResult> GetOrchestrationWithQueryAsync(OrchestrationQuery query, CancellationToken cancellationToken)
        {
            OrchestrationQueryResult result = await ByPrefixAsync(query) ?? await base.GetOrchestrationWithQueryAsync(query, cancellationToken);
            if (query.FetchInputsAndOutputs)
            {
                return result;
            }

            var states = result.OrchestrationState.Select(s => new OrchestrationState
            {
                OrchestrationInstance = s.OrchestrationInstance, Name = s.Name, Version = s.Version, ScheduledStartTime = s.ScheduledStartTime,
                CreatedTime = s.CreatedTime, LastUpdatedTime = s.LastUpdatedTime, CompletedTime = s.CompletedTime,
                OrchestrationStatus = s.OrchestrationStatus, Status = s.Status,
            }).ToList();
            return new OrchestrationQueryResult(states, result.ContinuationToken);
        }

        /// <summary>A first page asked by id prefix whose ids all fit in it, from the index (null: the store's own query).</summary>
        async Task<OrchestrationQueryResult?> ByPrefixAsync(OrchestrationQuery query)
        {
            if (query.InstanceIdPrefix is not { Length: > 0 } prefix || query.ContinuationToken is not null)
            {
                return null;
            }

            List<string> candidates;
            lock (ids)
            {
                SortedSet<string> view = ids.GetViewBetween(prefix, prefix + char.MaxValue);
                if (view.Count > query.PageSize)
                {
                    return null;
                }

                candidates = [.. view];
            }

            var states = new List<OrchestrationState>();
            foreach (string id in candidates.Where(i => i.StartsWith(prefix, StringComparison.Ordinal)))
            {
                // Purged instances stay in the index and are skipped here.
                if ((await GetOrchestrationStateAsync(id, allExecutions: false)).FirstOrDefault() is { } state && Matches(query, state))
                {
                    states.Add(state);
                }
            }

            return new OrchestrationQueryResult(states, null);
        }

        static bool Matches(OrchestrationQuery query, OrchestrationState state) =>
            (query.RuntimeStatus is not { Count: > 0 } statuses || statuses.Contains(state.OrchestrationStatus)) &&
            (query.CreatedTimeFrom is not { } from || state.CreatedTime >= from) &&
            (query.CreatedTimeTo is not { } to || state.CreatedTime <= to);
    }
}
