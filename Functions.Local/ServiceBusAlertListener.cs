using Azure.Messaging.ServiceBus;
using Cordon.Alerts;
using Microsoft.DurableTask.Client;

namespace Cordon.Local;

/// <summary>
/// Service Bus intake on one machine (--service-bus): a ServiceBusProcessor feeding the same handler
/// as the Azure trigger, with manual settlement.
/// </summary>
public sealed class ServiceBusAlertListener(string connectionString, string queue, AlertMessageHandler handler, DurableTaskClient client) : IHostedService, IAsyncDisposable
{
    ServiceBusClient? sb;
    ServiceBusProcessor? processor;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        sb = new ServiceBusClient(connectionString);
        processor = sb.CreateProcessor(queue, new ServiceBusProcessorOptions { AutoCompleteMessages = false, MaxConcurrentCalls = 8 });
        processor.ProcessMessageAsync += OnMessageAsync;
        processor.ProcessErrorAsync += _ => Task.CompletedTask;
        await processor.StartProcessingAsync(cancellationToken);
    }

    public Task OnMessageAsync(ProcessMessageEventArgs args) =>
        handler.HandleAsync(args.Message, new ProcessorSettlement(args), client, args.CancellationToken);

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
