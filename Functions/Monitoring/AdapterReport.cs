using Azure.Core;
using Cordon.Access;
using Cordon.Evidence;
using Cordon.Notification;
using Cordon.Incidents;
using Cordon.Offboarding;
using Microsoft.Extensions.Hosting;

namespace Cordon.Monitoring;

/// <summary>Logs at start which adapter serves each port, so a misconfigured deployment shows in the first lines of its log.</summary>
public sealed class AdapterReport(IServiceProvider services, ILogger<AdapterReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        void Report(string port, object? adapter) =>
            logger.LogInformation("Port {Port} served by {Adapter}", port, adapter?.GetType().Name ?? "nothing registered");
        Report("access control", services.GetService<IAccessControl>());
        Report("e-mail", services.GetService<IEmailSender>());
        Report("evidence store", services.GetService<IEvidenceStore>());
        Report("site register", services.GetService<ISiteRegister>());
        Report("directory groups", services.GetService<Roster.IGroupMembersDelta>());
        Report("roster", services.GetService<Roster.IRosterStore>());
        logger.LogInformation("Port {Port} served by {Adapter}", "incident events",
            services.GetService<Azure.Messaging.ServiceBus.ServiceBusSender>() is { } sender ? $"Service Bus topic {sender.EntityPath}" : "the log");
        if (services.GetService<TokenCredential>() is { } credential)
        {
            logger.LogInformation("Azure identity: {Credential}", credential.GetType().Name);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
