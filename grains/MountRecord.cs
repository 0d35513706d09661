using Davecast.Frames;

namespace Davecast.Grains;

/// <summary>
/// What a mount keeps across restarts of the whole cluster (grain storage "mounts": Redis with Redis clustering):
/// the codec parameters it was first fed with, so that a backup encoder that differs is still refused after a
/// restart. Plain fields, so that any storage serializer can hold it.
/// </summary>
[GenerateSerializer]
public sealed class MountRecord
{
    /// <summary>Grain storage provider name.</summary>
    public const string Storage = "mounts";

    [Id(0)] public bool HasParameters { get; set; }
    [Id(1)] public CodecKind Codec { get; set; }
    [Id(2)] public int SampleRate { get; set; }
    [Id(3)] public int Channels { get; set; }
    [Id(4)] public int BitrateKbps { get; set; }
    [Id(5)] public int ProfileOrLayer { get; set; }
    [Id(6)] public int Version { get; set; }
    [Id(7)] public int SamplesPerFrame { get; set; }
    // Id 8 held the encoders' priorities (written, never read): do not reuse it, records stored before may carry it.

    public CodecParameters? Parameters
    {
        get => HasParameters ? new CodecParameters(Codec, SampleRate, Channels, BitrateKbps, ProfileOrLayer, Version, SamplesPerFrame) : null;
        set
        {
            HasParameters = value is not null;
            if (value is not { } p) return;
            (Codec, SampleRate, Channels, BitrateKbps, ProfileOrLayer, Version, SamplesPerFrame) =
                (p.Codec, p.SampleRate, p.Channels, p.BitrateKbps, p.ProfileOrLayer, p.Version, p.SamplesPerFrame);
        }
    }
}
