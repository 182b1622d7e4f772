import os
import requests

class PixlpayClient:
    def __init__(self):
        self.base_url = 'https://yourstore.pixlpay.net/api/external/v1'
        self.token = os.environ.get('PIXLPAY_API_TOKEN')

    def _headers(self):
        return {
            'Authorization': f'Bearer {self.token}',
            'Accept': 'application/json',
        }

    def get_products(self):
        response = requests.get(
            f'{self.base_url}/products',
            headers=self._headers()
        )

        if response.status_code == 401:
            raise Exception('Authentication failed')

        return response.json()
