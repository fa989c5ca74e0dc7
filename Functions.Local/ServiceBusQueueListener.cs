using Azure.Messaging.ServiceBus;
using Cordon.Alerts;
using Cordon.Behaviour;
using Cordon.Intake;
using Microsoft.DurableTask.Client;

namespace Cordon.Local;

/// <summary>
/// Service Bus intake on one machine (--service-bus): a ServiceBusProcessor per queue feeding the same
/// handler as the Azure trigger (risk alerts, access telemetry), with manual settlement.
/// </summary>
public sealed class ServiceBusQueueListener(string connectionString, string queue, Func<ServiceBusReceivedMessage, IMessageSettlement, CancellationToken, Task> handle, ILogger logger)
    : IHostedService, IAsyncDisposable
{
    ServiceBusClient? sb;
    ServiceBusProcessor? processor;

    public static ServiceBusQueueListener ForAlerts(string connectionString, string queue, AlertMessageHandler handler, DurableTaskClient client, ILogger logger) =>
        new(connectionString, queue, (m, s, ct) => handler.HandleAsync(m, s, client, ct), logger);

    public static ServiceBusQueueListener ForTelemetry(string connectionString, string queue, TelemetryMessageHandler handler, DurableTaskClient client, ILogger logger) =>
        new(connectionString, queue, (m, s, ct) => handler.HandleAsync(m, s, client, ct), logger);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        sb = new ServiceBusClient(connectionString);
        processor = sb.CreateProcessor(queue, new ServiceBusProcessorOptions { AutoCompleteMessages = false, MaxConcurrentCalls = 8 });
        processor.ProcessMessageAsync += OnMessageAsync;
        processor.ProcessErrorAsync += e =>
        {
            // A missing queue or a lost connection is worth a line, not a crash: the processor keeps retrying.
            logger.LogWarning(e.Exception, "Service Bus queue {Queue}: {Source} failed", queue, e.ErrorSource);
            return Task.CompletedTask;
        };
        await processor.StartProcessingAsync(cancellationToken);
    }

    public Task OnMessageAsync(ProcessMessageEventArgs args) => handle(args.Message, new ProcessorSettlement(args), args.CancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (processor is not null)
        {
            await processor.StopProcessingAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (processor is not null)
        {
            await processor.DisposeAsync();
        }

        if (sb is not null)
        {
            await sb.DisposeAsync();
        }
    }

    sealed class ProcessorSettlement(ProcessMessageEventArgs args) : IMessageSettlement
    {
        public Task CompleteAsync(CancellationToken ct) => args.CompleteMessageAsync(args.Message, ct);

        public Task DeadLetterAsync(string reason, string description, CancellationToken ct) =>
            args.DeadLetterMessageAsync(args.Message, reason, description, ct);

        public Task AbandonAsync(CancellationToken ct) => args.AbandonMessageAsync(args.Message, cancellationToken: ct);
    }
}
