using Davecast.Frames;

namespace Davecast.Grains;

/// <summary>Orleans serialization of <see cref="CodecParameters"/>, which lives in a library without Orleans.</summary>
[GenerateSerializer]
public struct CodecParametersSurrogate
{
    [Id(0)] public CodecKind Codec;
    [Id(1)] public int SampleRate;
    [Id(2)] public int Channels;
    [Id(3)] public int BitrateKbps;
    [Id(4)] public int ProfileOrLayer;
    [Id(5)] public int Version;
    [Id(6)] public int SamplesPerFrame;
}

[RegisterConverter]
public sealed class CodecParametersConverter : IConverter<CodecParameters, CodecParametersSurrogate>
{
    public CodecParameters ConvertFromSurrogate(in CodecParametersSurrogate s) =>
        new(s.Codec, s.SampleRate, s.Channels, s.BitrateKbps, s.ProfileOrLayer, s.Version, s.SamplesPerFrame);

    public CodecParametersSurrogate ConvertToSurrogate(in CodecParameters p) => new()
    {
        Codec = p.Codec,
        SampleRate = p.SampleRate,
        Channels = p.Channels,
        BitrateKbps = p.BitrateKbps,
        ProfileOrLayer = p.ProfileOrLayer,
        Version = p.Version,
        SamplesPerFrame = p.SamplesPerFrame,
    };
}
