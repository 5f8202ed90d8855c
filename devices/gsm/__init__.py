"""GSM modem SMS channel: alphabet, PDU codec, multipart reassembly, AT protocol, driver."""
