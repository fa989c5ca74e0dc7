using Cordon.Notification;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cordon.Adapters.SendGrid;

public static class SendGridServiceCollectionExtensions
{
    /// <summary>
    /// Sends Cordon's mails through SendGrid: binds <see cref="SendGridOptions"/> from <c>Cordon:Email</c>
    /// (validated when the host starts: a missing API key or sender fails start-up with the setting's name)
    /// and registers <see cref="IEmailSender"/> → <see cref="SendGridEmailSender"/>.
    /// </summary>
    public static IServiceCollection AddCordonSendGrid(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<SendGridOptions>()
            .Bind(configuration.GetSection(SendGridOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SendGridOptions>, SendGridOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        // A plain client: retries are the sender's own (429/5xx with Retry-After), so none are stacked here.
        services.AddHttpClient(SendGridEmailSender.HttpClientName);
        services.AddSingleton<SendGridEmailSender>();
        services.AddSingleton<IEmailSender>(sp => sp.GetRequiredService<SendGridEmailSender>());
        return services;
    }
}
