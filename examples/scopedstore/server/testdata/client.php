<?php

$token = getenv('PIXLPAY_API_TOKEN');

$ch = curl_init();
curl_setopt($ch, CURLOPT_URL, 'https://yourstore.pixlpay.net/api/external/v1/products');
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
curl_setopt($ch, CURLOPT_HTTPHEADER, [
    'Authorization: Bearer ' . $token,
    'Accept: application/json',
]);

$response = curl_exec($ch);
$httpCode = curl_getinfo($ch, CURLINFO_HTTP_CODE);
curl_close($ch);

if ($httpCode === 401) {
    throw new Exception('Authentication failed');
}

$data = json_decode($response, true);
