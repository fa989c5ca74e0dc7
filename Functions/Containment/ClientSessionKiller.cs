using Cordon.Incidents;

namespace Cordon.Containment;

/// <summary>Calls a client system's session-kill endpoint so the agent's open sessions there end now.</summary>
public sealed class ClientSessionKiller(SignedWebhook webhook)
{
    public async Task<SessionKill> KillAsync(AffectedClient client, string incidentId, string userPrincipalName, CancellationToken cancellationToken)
    {
        WebhookResult result = await webhook.PostAsync(client.SessionKillUrl!,
            new { type = "cordon.session-kill.v1", incidentId, userPrincipalName, clientId = client.Id },
            $"{incidentId}:session-kill:{client.Id}", cancellationToken);
        return new SessionKill(client.Id, result.Delivered, result.Delivered ? result.At : null, result.Detail);
    }
}
