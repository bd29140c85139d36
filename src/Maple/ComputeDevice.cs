using TorchSharp;
using static TorchSharp.torch;

namespace Maple;

/// <summary>Parses and checks the device a model computes on: the CPU, or a CUDA GPU.</summary>
public static class ComputeDevice
{
    /// <summary>The CPU, where every model computes unless told otherwise.</summary>
    public static Device Cpu { get; } = CPU;

    /// <summary>
    /// Parses <c>cpu</c>, <c>cuda</c> (the first GPU) or <c>cuda:N</c> and checks that the device is there
    /// (<see cref="Check"/>).
    /// </summary>
    /// <exception cref="UserInputException">Not a device name, or a CUDA device that is not available.</exception>
    public static Device Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var name = text.Trim().ToLowerInvariant();
        var device = name switch
        {
            "cpu" => Cpu,
            "cuda" => new Device(DeviceType.CUDA, 0),
            _ when name.StartsWith("cuda:", StringComparison.Ordinal)
                && int.TryParse(name.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index)
                => new Device(DeviceType.CUDA, index),
            _ => throw new UserInputException($"unknown device '{text}': expected cpu, cuda or cuda:N (N counts from 0)"),
        };
        Check(device);
        return device;
    }

    /// <summary>Checks that <paramref name="device"/> can compute here: the CPU always can; a CUDA device needs a CUDA build, a driver and the GPU.</summary>
    /// <exception cref="UserInputException">The device is not available, with the reason in one line.</exception>
    public static void Check(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        switch (device.type)
        {
            case DeviceType.CPU:
                return;
            case DeviceType.CUDA when !cuda.is_available():
                throw new UserInputException($"device {Name(device)} is not available: CUDA needs a Maple built with the CUDA backend " +
                    "(MapleTorchBackend=cuda, see the README), an NVIDIA driver and a GPU; use the CPU instead");
            case DeviceType.CUDA when device.index >= cuda.device_count():
                throw new UserInputException($"device {Name(device)} is not available: this machine has {cuda.device_count()} CUDA device(s), cuda:0 to cuda:{cuda.device_count() - 1}");
            case DeviceType.CUDA:
                return;
            default:
                throw new UserInputException($"device {Name(device)} is not supported: Maple computes on the CPU or on CUDA GPUs");
        }
    }

    /// <summary>The device's name as <see cref="Parse"/> reads it and results record it: <c>cpu</c>, <c>cuda:0</c>.</summary>
    public static string Name(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device.type switch
        {
            DeviceType.CPU => "cpu",
            DeviceType.CUDA => $"cuda:{Math.Max(device.index, 0)}",
            _ => device.ToString(),
        };
    }
}
