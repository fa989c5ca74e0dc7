using Azure.Core.Amqp;
using Azure.Messaging.ServiceBus;

namespace Cordon.Intake;

/// <summary>
/// A message's body as bytes, whatever AMQP section carries it. The SDK's <see cref="ServiceBusReceivedMessage.Body"/>
/// throws for a body that is not a data section, as producers on plain AMQP send it (found by an attack: the handler threw
/// before settling, and the message was redelivered until dead-lettered with no reason). A string or binary value is read
/// as its bytes; any other shape is named, to be dead-lettered with it.
/// </summary>
public static class MessageBody
{
    public static bool TryRead(ServiceBusReceivedMessage message, out ReadOnlyMemory<byte> body, out string problem)
    {
        AmqpMessageBody amqp = message.GetRawAmqpMessage().Body;
        problem = "";
        body = default;
        if (amqp.BodyType == AmqpMessageBodyType.Data)
        {
            body = message.Body.ToMemory();
            return true;
        }

        if (amqp.TryGetValue(out object? value) && value is string text)
        {
            body = System.Text.Encoding.UTF8.GetBytes(text);
            return true;
        }

        if (value is byte[] bytes)
        {
            body = bytes;
            return true;
        }

        problem = amqp.BodyType == AmqpMessageBodyType.Value
            ? $"the message body is an AMQP value of type {value?.GetType().Name ?? "null"}; send the JSON as the body's bytes (a data section) or as a string"
            : $"the message body is an AMQP {amqp.BodyType.ToString().ToLowerInvariant()} section; send the JSON as the body's bytes (a data section) or as a string";
        return false;
    }
}
